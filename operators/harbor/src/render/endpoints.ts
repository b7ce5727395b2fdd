// How Harbor's components find each other and their cache: in-cluster URLs of the Services the
// renderer creates, the external URL, and the Redis layout.
//
// Redis layout: each Registry has a Redis of its own, so the database indexes below are private
// to it. They follow harbor-helm's numbering (core must be 0: Harbor's core cannot be told
// another index). Passwords never appear in these URLs as literals: pods get the password as
// the REDIS_PASSWORD variable from a Secret and the URLs say `$(REDIS_PASSWORD)`, which the
// kubelet expands, so no ConfigMap or pod spec holds it.
import type { RegistrySpec } from '../api/registry.js';
import type { RegistryNames } from './names.js';

export const ports = {
  core: 8080,
  portal: 8080,
  jobservice: 8080,
  registry: 5000,
  registryDebug: 5001,
  registryctl: 8080,
  trivy: 8080,
  exporter: 8001,
  metrics: 8001,
  redis: 6379,
  /** Service port of core, portal and jobservice. */
  http: 80,
} as const;

export const redisDatabases = { core: 0, jobservice: 1, registry: 2, trivy: 5 } as const;

export const jobserviceRedisNamespace = 'harbor_job_service_namespace';

export interface Endpoints {
  externalURL: string;
  coreURL: string;
  coreLocalURL: string;
  tokenServiceURL: string;
  portalURL: string;
  jobserviceURL: string;
  registryURL: string;
  registryControllerURL: string;
  trivyAdapterURL: string;
  redisHost: string;
  redisPort: number;
}

export function externalURL(spec: Pick<RegistrySpec, 'externalURL' | 'expose'>): string {
  if (spec.externalURL) return spec.externalURL.replace(/\/+$/, '');
  const scheme = spec.expose.ingress.tls ? 'https' : 'http';
  return `${scheme}://${spec.expose.ingress.host}`;
}

export function endpoints(spec: RegistrySpec, names: RegistryNames): Endpoints {
  const redis =
    spec.cache.mode === 'External' && spec.cache.external
      ? { host: spec.cache.external.host, port: spec.cache.external.port }
      : { host: names.redis, port: ports.redis };
  return {
    externalURL: externalURL(spec),
    coreURL: `http://${names.core}:${ports.http}`,
    coreLocalURL: `http://127.0.0.1:${ports.core}`,
    tokenServiceURL: `http://${names.core}:${ports.http}/service/token`,
    portalURL: `http://${names.portal}:${ports.http}`,
    jobserviceURL: `http://${names.jobservice}:${ports.http}`,
    registryURL: `http://${names.registry}:${ports.registry}`,
    registryControllerURL: `http://${names.registry}:${ports.registryctl}`,
    trivyAdapterURL: `http://${names.trivy}:${ports.trivy}`,
    redisHost: redis.host,
    redisPort: redis.port,
  };
}

/** Whether the cache asks for a password: the dedicated Redis always does; an external one if a Secret is named. */
export function cacheHasPassword(spec: RegistrySpec): boolean {
  return spec.cache.mode === 'Dedicated' || spec.cache.external?.passwordSecretRef !== undefined;
}

/** A Redis URL for one of Harbor's databases, with the password as a `$(REDIS_PASSWORD)` reference. */
export function redisURL(e: Pick<Endpoints, 'redisHost' | 'redisPort'>, db: number, withPassword: boolean, query = ''): string {
  const auth = withPassword ? ':$(REDIS_PASSWORD)@' : '';
  return `redis://${auth}${e.redisHost}:${e.redisPort}/${db}${query}`;
}
