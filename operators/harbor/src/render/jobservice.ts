// harbor-jobservice: ConfigMap (config.yml), Deployment and Service.
import type { ConfigMap, Deployment, EnvVar, Service } from '@tugboat/runtime/kinds';
import { checksum } from './checksum.js';
import { cacheHasPassword, endpoints, ports, redisDatabases, redisURL } from './endpoints.js';
import { envList, fromSecret, literal } from './env.js';
import { harborImages } from './images.js';
import type { RenderInput } from './input.js';
import { jobserviceConfig, jobserviceEnv } from './jobservice-config.js';
import { registryNames, type RegistryNames } from './names.js';
import { internalSecretKeys } from './secret-keys.js';
import { redisPasswordRef } from './secret-refs.js';
import { configMap, container, deployment, httpProbe, ownerOf, resourcesOf, scheduling, service } from './workload.js';

export interface JobserviceObjects {
  configMap: ConfigMap;
  deployment: Deployment;
  service: Service;
}

export function jobserviceContainerEnv(input: RenderInput, names: RegistryNames): EnvVar[] {
  const { spec } = input.registry;
  const e = endpoints(spec, names);
  const i = names.internalSecret;
  const redis = redisPasswordRef(spec, names);
  const withPassword = cacheHasPassword(spec);
  return [
    ...envList(jobserviceEnv(input)),
    fromSecret('CORE_SECRET', i, internalSecretKeys.coreSecret),
    fromSecret('JOBSERVICE_SECRET', i, internalSecretKeys.jobserviceSecret),
    fromSecret('REGISTRY_CREDENTIAL_PASSWORD', i, internalSecretKeys.registryPassword),
    ...(redis ? [fromSecret('REDIS_PASSWORD', redis.secret, redis.key)] : []),
    literal('_REDIS_URL_CORE', redisURL(e, redisDatabases.core, withPassword, '?idle_timeout_seconds=30')),
    // Overrides worker_pool.redis_pool.redis_url of config.yml, adding the password.
    literal('JOB_SERVICE_POOL_REDIS_URL', redisURL(e, redisDatabases.jobservice, withPassword)),
  ];
}

export function renderJobservice(input: RenderInput): JobserviceObjects {
  const owner = ownerOf(input);
  const names = registryNames(input.registry.name);
  const { spec } = input.registry;
  const c = spec.components.jobservice;
  const data = { 'config.yml': jobserviceConfig(input) };
  const s = input.secrets;
  return {
    configMap: configMap(owner, names.jobservice, 'jobservice', data),
    service: service(owner, names.jobservice, 'jobservice', [{ name: 'http', port: ports.http, targetPort: 'http', protocol: 'TCP' }]),
    deployment: deployment({
      owner,
      name: names.jobservice,
      component: 'jobservice',
      replicas: c.replicas,
      checksum: checksum(data, [s.coreSecret, s.jobserviceSecret, s.registryPassword, s.redisPassword], input.userSecretsDigest ?? null),
      pod: {
        ...scheduling(c),
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
        containers: [
          container({
            name: 'jobservice',
            image: harborImages(spec).jobservice,
            env: jobserviceContainerEnv(input, names),
            ports: [{ name: 'http', containerPort: ports.jobservice, protocol: 'TCP' }],
            volumeMounts: [{ name: 'config', mountPath: '/etc/jobservice/config.yml', subPath: 'config.yml', readOnly: true }],
            livenessProbe: httpProbe('/api/v1/stats', ports.jobservice),
            readinessProbe: httpProbe('/api/v1/stats', ports.jobservice),
            ...(resourcesOf(c.resources) ? { resources: resourcesOf(c.resources) } : {}),
          }),
        ],
        volumes: [{ name: 'config', configMap: { name: names.jobservice } }],
      },
    }),
  };
}
