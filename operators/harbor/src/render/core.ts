// harbor-core: its ConfigMap (app.conf), Deployment and Service. Plain settings are literal
// environment entries of the pod; secret ones reach it as secretKeyRefs, and the Redis URLs embed
// `$(REDIS_PASSWORD)`, which the kubelet expands from the variable defined just before them.
import type { ConfigMap, Deployment, EnvVar, Service, Volume } from '@tugboat/runtime/kinds';
import { checksum } from './checksum.js';
import { coreAppConf, coreConfigPath, coreEnv } from './core-config.js';
import { cacheHasPassword, endpoints, ports, redisDatabases, redisURL } from './endpoints.js';
import { envList, fromSecret, literal } from './env.js';
import { harborImages } from './images.js';
import type { RenderInput } from './input.js';
import { registryNames, type RegistryNames } from './names.js';
import { adminPasswordRef, encryptionKeyRef, redisPasswordRef } from './secret-refs.js';
import { databaseSecretKeys, internalSecretKeys } from './secret-keys.js';
import { configMap, container, deployment, httpProbe, ownerOf, resourcesOf, scheduling, service } from './workload.js';

export interface CoreObjects {
  configMap: ConfigMap;
  deployment: Deployment;
  service: Service;
}

export function coreConfigMapData(): Record<string, string> {
  return { 'app.conf': coreAppConf() };
}

/** Core's whole environment: plain settings, then secrets, then what expands them. */
export function coreContainerEnv(input: RenderInput, names: RegistryNames): EnvVar[] {
  return [...envList(coreEnv(input)), ...coreSecretEnv(input, names)];
}

/** The secret environment core (and its migration Job) needs, in dependency order. */
export function coreSecretEnv(input: RenderInput, names: RegistryNames): EnvVar[] {
  const { spec } = input.registry;
  const e = endpoints(spec, names);
  const i = names.internalSecret;
  const admin = adminPasswordRef(spec, names);
  const redis = redisPasswordRef(spec, names);
  const withPassword = cacheHasPassword(spec);
  return [
    fromSecret('CORE_SECRET', i, internalSecretKeys.coreSecret),
    fromSecret('JOBSERVICE_SECRET', i, internalSecretKeys.jobserviceSecret),
    fromSecret('CSRF_KEY', i, internalSecretKeys.csrfKey),
    fromSecret('REGISTRY_CREDENTIAL_PASSWORD', i, internalSecretKeys.registryPassword),
    fromSecret('HARBOR_ADMIN_PASSWORD', admin.secret, admin.key),
    fromSecret('POSTGRESQL_PASSWORD', names.databaseSecret, databaseSecretKeys.password),
    ...(redis ? [fromSecret('REDIS_PASSWORD', redis.secret, redis.key)] : []),
    literal('_REDIS_URL_CORE', redisURL(e, redisDatabases.core, withPassword, '?idle_timeout_seconds=30')),
    literal('_REDIS_URL_REG', redisURL(e, redisDatabases.registry, withPassword, '?idle_timeout_seconds=30')),
  ];
}

/** Volumes core mounts: its app.conf, the encryption key, and the token signing key. */
export function coreVolumes(input: RenderInput, names: RegistryNames): { volumes: Volume[]; mounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[] } {
  const key = encryptionKeyRef(input.registry.spec, names);
  return {
    volumes: [
      { name: 'config', configMap: { name: names.core, items: [{ key: 'app.conf', path: 'app.conf' }] } },
      { name: 'secret-key', secret: { secretName: key.secret, items: [{ key: key.key, path: 'key' }], defaultMode: 0o400 } },
      { name: 'token-key', secret: { secretName: names.internalSecret, items: [{ key: internalSecretKeys.tokenKey, path: 'private_key.pem' }], defaultMode: 0o400 } },
      { name: 'token', emptyDir: {} },
    ],
    mounts: [
      { name: 'config', mountPath: coreConfigPath, subPath: 'app.conf', readOnly: true },
      { name: 'secret-key', mountPath: '/etc/core/key', subPath: 'key', readOnly: true },
      { name: 'token-key', mountPath: '/etc/core/private_key.pem', subPath: 'private_key.pem', readOnly: true },
      { name: 'token', mountPath: '/etc/core/token' },
    ],
  };
}

/** What core's pods read, hashed: a change to any of it rolls them. */
export function coreChecksum(input: RenderInput): string {
  const s = input.secrets;
  const spec = input.registry.spec;
  return checksum(
    coreConfigMapData(),
    [s.coreSecret, s.jobserviceSecret, s.csrfKey, s.registryPassword, s.tokenKey, s.redisPassword],
    spec.adminPasswordSecretRef ? null : s.adminPassword,
    spec.encryptionKeySecretRef ? null : s.encryptionKey,
    input.database.password,
    input.userSecretsDigest ?? null,
  );
}

export function renderCore(input: RenderInput): CoreObjects {
  const owner = ownerOf(input);
  const names = registryNames(input.registry.name);
  const { spec } = input.registry;
  const c = spec.components.core;
  const { volumes, mounts } = coreVolumes(input, names);
  return {
    configMap: configMap(owner, names.core, 'core', coreConfigMapData()),
    service: service(owner, names.core, 'core', [{ name: 'http', port: ports.http, targetPort: 'http', protocol: 'TCP' }]),
    deployment: deployment({
      owner,
      name: names.core,
      component: 'core',
      replicas: c.replicas,
      checksum: coreChecksum(input),
      pod: {
        ...scheduling(c),
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
        // Core finishes in-flight uploads and token requests before it exits.
        terminationGracePeriodSeconds: 120,
        containers: [
          container({
            name: 'core',
            image: harborImages(spec).core,
            env: coreContainerEnv(input, names),
            ports: [{ name: 'http', containerPort: ports.core, protocol: 'TCP' }],
            volumeMounts: mounts,
            startupProbe: { ...httpProbe('/api/v2.0/ping', ports.core, 10), failureThreshold: 360 },
            livenessProbe: httpProbe('/api/v2.0/ping', ports.core),
            readinessProbe: httpProbe('/api/v2.0/ping', ports.core),
            ...(resourcesOf(c.resources) ? { resources: resourcesOf(c.resources) } : {}),
          }),
        ],
        volumes,
      },
    }),
  };
}
