// harbor-jobservice's config.yml. The Redis URL in the file carries no password: the workload
// sets JOB_SERVICE_POOL_REDIS_URL (which jobservice prefers over the file) with the password
// reference, so the ConfigMap stays free of secrets. Job logs go to the database (the `DB`
// logger) and stdout, so jobservice needs no volume.
import { stringify } from 'yaml';
import type { RenderInput } from './input.js';
import { endpoints, jobserviceRedisNamespace, ports, redisDatabases, redisURL } from './endpoints.js';
import { registryNames } from './names.js';
import { registryUser } from './secrets.js';

const harborLevel = (level: string) => level.toUpperCase();

export function jobserviceConfig(input: RenderInput): string {
  const { spec } = input.registry;
  const e = endpoints(spec, registryNames(input.registry.name));
  const level = harborLevel(spec.logLevel);
  return stringify({
    protocol: 'http',
    port: ports.jobservice,
    worker_pool: {
      workers: spec.components.jobservice.workers,
      backend: 'redis',
      redis_pool: {
        redis_url: redisURL(e, redisDatabases.jobservice, false),
        namespace: jobserviceRedisNamespace,
        idle_timeout_second: 3600,
      },
    },
    job_loggers: [
      { name: 'STD_OUTPUT', level },
      { name: 'DB', level, sweeper: { duration: 14, settings: {} } },
    ],
    metric: { enabled: spec.components.exporter.enabled, path: '/metrics', port: ports.metrics },
    loggers: [{ name: 'STD_OUTPUT', level }],
    reaper: { max_update_hours: 24, max_dangling_hours: 168 },
  });
}

/** Plain environment of jobservice. */
export function jobserviceEnv(input: RenderInput): Record<string, string> {
  const { spec } = input.registry;
  const e = endpoints(spec, registryNames(input.registry.name));
  return {
    CORE_URL: e.coreURL,
    TOKEN_SERVICE_URL: e.tokenServiceURL,
    REGISTRY_URL: e.registryURL,
    REGISTRY_CONTROLLER_URL: e.registryControllerURL,
    REGISTRY_CREDENTIAL_USERNAME: registryUser,
    JOBSERVICE_WEBHOOK_JOB_MAX_RETRY: '3',
    JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT: '3',
    LOG_LEVEL: spec.logLevel,
    METRIC_NAMESPACE: 'harbor',
    METRIC_SUBSYSTEM: 'jobservice',
  };
}
