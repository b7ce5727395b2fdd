// The optional Prometheus exporter: Deployment and Service (port 8001, /metrics).
import type { Deployment, Service } from '@tugboat/runtime/kinds';
import { checksum } from './checksum.js';
import { cacheHasPassword, endpoints, ports, redisDatabases, redisURL } from './endpoints.js';
import { envList, fromSecret, literal } from './env.js';
import { exporterEnv } from './exporter-config.js';
import { harborImages } from './images.js';
import type { RenderInput } from './input.js';
import { registryNames } from './names.js';
import { databaseSecretKeys } from './secret-keys.js';
import { adminPasswordRef, redisPasswordRef } from './secret-refs.js';
import { container, deployment, httpProbe, ownerOf, resourcesOf, scheduling, service } from './workload.js';

export interface ExporterObjects {
  deployment: Deployment;
  service: Service;
}

export function renderExporter(input: RenderInput): ExporterObjects | undefined {
  const { spec } = input.registry;
  const c = spec.components.exporter;
  if (!c.enabled) return undefined;
  const owner = ownerOf(input);
  const names = registryNames(input.registry.name);
  const e = endpoints(spec, names);
  const redis = redisPasswordRef(spec, names);
  const admin = adminPasswordRef(spec, names);
  const env = exporterEnv(input);
  return {
    service: service(owner, names.exporter, 'exporter', [{ name: 'metrics', port: ports.exporter, targetPort: 'metrics', protocol: 'TCP' }]),
    deployment: deployment({
      owner,
      name: names.exporter,
      component: 'exporter',
      replicas: c.replicas,
      checksum: checksum(
        env,
        input.database.password,
        input.secrets.redisPassword,
        spec.adminPasswordSecretRef ? null : input.secrets.adminPassword,
        input.userSecretsDigest ?? null,
      ),
      pod: {
        ...scheduling(c),
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
        containers: [
          container({
            name: 'exporter',
            image: harborImages(spec).exporter,
            env: [
              ...envList(env),
              fromSecret('HARBOR_DATABASE_PASSWORD', names.databaseSecret, databaseSecretKeys.password),
              fromSecret('HARBOR_ADMIN_PASSWORD', admin.secret, admin.key),
              ...(redis ? [fromSecret('REDIS_PASSWORD', redis.secret, redis.key)] : []),
              literal('HARBOR_REDIS_URL', redisURL(e, redisDatabases.jobservice, cacheHasPassword(spec))),
            ],
            ports: [{ name: 'metrics', containerPort: ports.exporter, protocol: 'TCP' }],
            livenessProbe: httpProbe('/', ports.exporter),
            readinessProbe: httpProbe('/', ports.exporter),
            ...(resourcesOf(c.resources) ? { resources: resourcesOf(c.resources) } : {}),
          }),
        ],
      },
    }),
  };
}
