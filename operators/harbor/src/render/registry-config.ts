// The registry's config.yml (distribution v3, which Harbor 2.13 and later ship) and
// registryctl's config.yml, which points at it. Secrets are not in the file: the registry reads
// REGISTRY_<PATH> environment variables as overrides of config keys, and the workload sets
// REGISTRY_HTTP_SECRET, REGISTRY_STORAGE_S3_ACCESSKEY/SECRETKEY and
// REGISTRY_REDIS_OPTIONS_PASSWORD from Secrets. (In distribution v3 the redis block is go-redis'
// UniversalOptions inlined under an `Options` field, so the override path is REDIS_OPTIONS_*.)
import { stringify } from 'yaml';
import type { RenderInput } from './input.js';
import { endpoints, ports, redisDatabases } from './endpoints.js';
import { registryNames } from './names.js';

export const registryConfigPath = '/etc/registry/config.yml';
export const registryHtpasswdPath = '/etc/registry/passwd';
export const registryctlConfigPath = '/etc/registryctl/config.yml';

const registryLogLevel = (level: string) => (level === 'warning' ? 'warn' : level === 'fatal' ? 'error' : level);

export function registryConfigObject(input: RenderInput): Record<string, unknown> {
  const { spec } = input.registry;
  const e = endpoints(spec, registryNames(input.registry.name));
  const s = input.storage;
  return {
    version: 0.1,
    log: { level: registryLogLevel(spec.logLevel), fields: { service: 'registry' } },
    storage: {
      s3: {
        region: s.region,
        regionendpoint: s.endpoint,
        forcepathstyle: s.forcePathStyle,
        bucket: s.bucket,
        secure: s.endpoint.startsWith('https://'),
        skipverify: s.skipTLSVerify,
        v4auth: true,
        rootdirectory: '/',
      },
      cache: { blobdescriptor: 'redis' },
      maintenance: { uploadpurging: { enabled: true, age: '168h', interval: '24h', dryrun: false } },
      delete: { enabled: true },
      // Redirects hand clients pre-signed URLs of the store, which they can follow only if they
      // can reach it; off unless the spec says they can.
      redirect: { disable: !spec.storage.redirect },
    },
    redis: {
      addrs: [`${e.redisHost}:${e.redisPort}`],
      db: redisDatabases.registry,
      dialtimeout: '10s',
      readtimeout: '10s',
      writetimeout: '10s',
    },
    http: {
      addr: `:${ports.registry}`,
      relativeurls: false,
      debug: {
        addr: `:${ports.registryDebug}`,
        prometheus: { enabled: spec.components.exporter.enabled, path: '/metrics' },
      },
    },
    auth: { htpasswd: { realm: 'harbor-registry-basic-realm', path: registryHtpasswdPath } },
    validation: { disabled: true },
  };
}

export function registryConfig(input: RenderInput): string {
  return stringify(registryConfigObject(input));
}

export function registryctlConfig(input: RenderInput): string {
  return stringify({
    protocol: 'http',
    port: ports.registryctl,
    log_level: input.registry.spec.logLevel,
    registry_config: registryConfigPath,
  });
}
