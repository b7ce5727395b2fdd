// harbor-core's configuration: the beego app.conf it loads from CONFIG_PATH and the plain
// (non-secret) environment it reads its settings from. Secret settings are added to the pod as
// secretKeyRefs by the core workload.
import type { RenderInput } from './input.js';
import { endpoints, ports } from './endpoints.js';
import { registryNames } from './names.js';
import { registryUser } from './secrets.js';

export const coreConfigPath = '/etc/core/app.conf';

export function coreAppConf(): string {
  return ['appname = Harbor', 'runmode = prod', 'enablegzip = true', '', '[prod]', `httpport = ${ports.core}`, ''].join('\n');
}

const proxyCacheTypes = [
  'docker-hub', 'harbor', 'azure-acr', 'ali-acr', 'aws-ecr', 'google-gcr', 'quay', 'docker-registry', 'github-ghcr', 'jfrog-artifactory',
].join(',');

/** Settings core reads from its environment (Harbor's config metadata EnvKeys). */
export function coreEnv(input: RenderInput): Record<string, string> {
  const { spec } = input.registry;
  const e = endpoints(spec, registryNames(input.registry.name));
  const db = input.database;
  const metrics = spec.components.exporter.enabled;
  return {
    CONFIG_PATH: coreConfigPath,
    PORT: String(ports.core),
    LOG_LEVEL: spec.logLevel,
    EXT_ENDPOINT: e.externalURL,
    CORE_URL: e.coreURL,
    CORE_LOCAL_URL: e.coreLocalURL,
    TOKEN_SERVICE_URL: e.tokenServiceURL,
    PORTAL_URL: e.portalURL,
    JOBSERVICE_URL: e.jobserviceURL,
    REGISTRY_URL: e.registryURL,
    REGISTRY_CONTROLLER_URL: e.registryControllerURL,
    REGISTRY_CREDENTIAL_USERNAME: registryUser,
    REGISTRY_STORAGE_PROVIDER_NAME: 's3',
    WITH_TRIVY: String(spec.components.trivy.enabled),
    TRIVY_ADAPTER_URL: e.trivyAdapterURL,
    DATABASE_TYPE: 'postgresql',
    POSTGRESQL_HOST: db.host,
    POSTGRESQL_PORT: String(db.port),
    POSTGRESQL_USERNAME: db.username,
    POSTGRESQL_DATABASE: db.database,
    POSTGRESQL_SSLMODE: db.sslMode,
    POSTGRESQL_MAX_IDLE_CONNS: String(spec.database.maxIdleConns),
    POSTGRESQL_MAX_OPEN_CONNS: String(spec.database.maxOpenConns),
    PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE: proxyCacheTypes,
    QUOTA_UPDATE_PROVIDER: 'db',
    CACHE_ENABLED: 'false',
    METRIC_ENABLE: String(metrics),
    METRIC_PATH: '/metrics',
    METRIC_PORT: String(ports.metrics),
    METRIC_NAMESPACE: 'harbor',
    METRIC_SUBSYSTEM: 'core',
  };
}
