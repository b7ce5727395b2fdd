// The Harbor exporter is configured by environment only. It reads core's API, the database and
// jobservice's Redis queue; passwords come from Secrets in the workload.
import type { RenderInput } from './input.js';
import { jobserviceRedisNamespace, ports } from './endpoints.js';
import { registryNames } from './names.js';

export function exporterEnv(input: RenderInput): Record<string, string> {
  const { spec } = input.registry;
  const db = input.database;
  return {
    LOG_LEVEL: spec.logLevel,
    HARBOR_EXPORTER_PORT: String(ports.exporter),
    HARBOR_EXPORTER_METRICS_PATH: '/metrics',
    HARBOR_EXPORTER_METRICS_ENABLED: 'true',
    HARBOR_EXPORTER_CACHE_TIME: '23',
    HARBOR_EXPORTER_CACHE_CLEAN_INTERVAL: '14400',
    HARBOR_METRIC_NAMESPACE: 'harbor',
    HARBOR_METRIC_SUBSYSTEM: 'exporter',
    HARBOR_REDIS_NAMESPACE: jobserviceRedisNamespace,
    HARBOR_REDIS_TIMEOUT: '3600',
    HARBOR_SERVICE_SCHEME: 'http',
    HARBOR_SERVICE_HOST: registryNames(input.registry.name).core,
    HARBOR_SERVICE_PORT: String(ports.http),
    HARBOR_DATABASE_HOST: db.host,
    HARBOR_DATABASE_PORT: String(db.port),
    HARBOR_DATABASE_USERNAME: db.username,
    HARBOR_DATABASE_DBNAME: db.database,
    HARBOR_DATABASE_SSLMODE: db.sslMode,
    HARBOR_DATABASE_MAX_IDLE_CONNS: '2',
    HARBOR_DATABASE_MAX_OPEN_CONNS: '4',
  };
}
