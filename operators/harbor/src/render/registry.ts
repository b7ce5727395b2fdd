// The registry pod: distribution (the registry container) and Harbor's registryctl side by side,
// sharing the registry's config.yml; one Service exposes both (5000 registry, 8080 registryctl).
import type { ConfigMap, Deployment, EnvVar, Service } from '@tugboat/runtime/kinds';
import { checksum } from './checksum.js';
import { ports } from './endpoints.js';
import { fromSecret } from './env.js';
import { harborImages } from './images.js';
import type { RenderInput } from './input.js';
import { registryNames, type RegistryNames } from './names.js';
import { registryConfig, registryConfigPath, registryctlConfig, registryctlConfigPath, registryHtpasswdPath } from './registry-config.js';
import { internalSecretKeys, storageSecretKeys } from './secret-keys.js';
import { redisPasswordRef } from './secret-refs.js';
import { configMap, container, deployment, httpProbe, ownerOf, resourcesOf, scheduling, service } from './workload.js';

export interface RegistryObjects {
  configMap: ConfigMap;
  deployment: Deployment;
  service: Service;
}

/**
 * The secret overrides both containers read: distribution maps REGISTRY_<PATH> variables onto
 * config keys. Exported so tests can run the real registry with exactly these variables.
 */
export function registrySecretEnv(input: RenderInput, names: RegistryNames): EnvVar[] {
  const redis = redisPasswordRef(input.registry.spec, names);
  return [
    fromSecret('REGISTRY_HTTP_SECRET', names.internalSecret, internalSecretKeys.registryHttpSecret),
    fromSecret('REGISTRY_STORAGE_S3_ACCESSKEY', names.storageSecret, storageSecretKeys.accessKey),
    fromSecret('REGISTRY_STORAGE_S3_SECRETKEY', names.storageSecret, storageSecretKeys.secretKey),
    ...(redis ? [fromSecret('REGISTRY_REDIS_OPTIONS_PASSWORD', redis.secret, redis.key)] : []),
  ];
}

export function renderRegistry(input: RenderInput): RegistryObjects {
  const owner = ownerOf(input);
  const names = registryNames(input.registry.name);
  const { spec } = input.registry;
  const c = spec.components.registry;
  const images = harborImages(spec);
  const data = { 'config.yml': registryConfig(input), 'ctl-config.yml': registryctlConfig(input) };
  const s = input.secrets;
  const i = names.internalSecret;
  const configMounts = [{ name: 'config', mountPath: registryConfigPath, subPath: 'config.yml', readOnly: true }];
  return {
    configMap: configMap(owner, names.registry, 'registry', data),
    service: service(owner, names.registry, 'registry', [
      { name: 'registry', port: ports.registry, targetPort: 'registry', protocol: 'TCP' },
      { name: 'controller', port: ports.registryctl, targetPort: 'controller', protocol: 'TCP' },
    ]),
    deployment: deployment({
      owner,
      name: names.registry,
      component: 'registry',
      replicas: c.replicas,
      checksum: checksum(
        data,
        [s.registryHttpSecret, s.registryHtpasswd, s.coreSecret, s.jobserviceSecret, s.redisPassword],
        [input.storage.accessKey, input.storage.secretKey],
        input.userSecretsDigest ?? null,
      ),
      pod: {
        ...scheduling(c),
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
        containers: [
          container({
            name: 'registry',
            image: images.registry,
            args: ['serve', registryConfigPath],
            env: registrySecretEnv(input, names),
            ports: [
              { name: 'registry', containerPort: ports.registry, protocol: 'TCP' },
              { name: 'debug', containerPort: ports.registryDebug, protocol: 'TCP' },
            ],
            volumeMounts: [...configMounts, { name: 'htpasswd', mountPath: registryHtpasswdPath, subPath: 'passwd', readOnly: true }],
            livenessProbe: httpProbe('/', ports.registry),
            readinessProbe: httpProbe('/', ports.registry),
            ...(resourcesOf(c.resources) ? { resources: resourcesOf(c.resources) } : {}),
          }),
          container({
            name: 'registryctl',
            image: images.registryctl,
            env: [
              fromSecret('CORE_SECRET', i, internalSecretKeys.coreSecret),
              fromSecret('JOBSERVICE_SECRET', i, internalSecretKeys.jobserviceSecret),
              ...registrySecretEnv(input, names),
            ],
            ports: [{ name: 'controller', containerPort: ports.registryctl, protocol: 'TCP' }],
            volumeMounts: [
              ...configMounts,
              { name: 'config', mountPath: registryctlConfigPath, subPath: 'ctl-config.yml', readOnly: true },
            ],
            livenessProbe: httpProbe('/api/health', ports.registryctl),
            readinessProbe: httpProbe('/api/health', ports.registryctl),
            ...(resourcesOf(c.controllerResources) ? { resources: resourcesOf(c.controllerResources) } : {}),
          }),
        ],
        volumes: [
          { name: 'config', configMap: { name: names.registry } },
          { name: 'htpasswd', secret: { secretName: i, items: [{ key: internalSecretKeys.registryHtpasswd, path: 'passwd' }], defaultMode: 0o400 } },
        ],
      },
    }),
  };
}
