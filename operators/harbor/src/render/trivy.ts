// The optional Trivy adapter: Deployment and Service. Its vulnerability DB cache is an emptyDir
// (re-downloaded when a pod moves) rather than a volume claim, so the Registry needs no storage
// class; scans still work, the first one after a restart is slower.
import type { Deployment, Service } from '@tugboat/runtime/kinds';
import { checksum } from './checksum.js';
import { cacheHasPassword, endpoints, ports, redisDatabases, redisURL } from './endpoints.js';
import { envList, fromSecret, literal } from './env.js';
import { harborImages } from './images.js';
import type { RenderInput } from './input.js';
import { registryNames } from './names.js';
import { redisPasswordRef } from './secret-refs.js';
import { trivyCacheDir, trivyEnv } from './trivy-config.js';
import { container, deployment, httpProbe, ownerOf, resourcesOf, scheduling, service } from './workload.js';

export interface TrivyObjects {
  deployment: Deployment;
  service: Service;
}

export function renderTrivy(input: RenderInput): TrivyObjects | undefined {
  const { spec } = input.registry;
  const c = spec.components.trivy;
  if (!c.enabled) return undefined;
  const owner = ownerOf(input);
  const names = registryNames(input.registry.name);
  const e = endpoints(spec, names);
  const redis = redisPasswordRef(spec, names);
  const url = redisURL(e, redisDatabases.trivy, cacheHasPassword(spec));
  const env = trivyEnv(input);
  return {
    service: service(owner, names.trivy, 'trivy', [{ name: 'http', port: ports.trivy, targetPort: 'http', protocol: 'TCP' }]),
    deployment: deployment({
      owner,
      name: names.trivy,
      component: 'trivy',
      replicas: c.replicas,
      checksum: checksum(env, input.secrets.redisPassword, input.userSecretsDigest ?? null),
      pod: {
        ...scheduling(c),
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
        containers: [
          container({
            name: 'trivy',
            image: harborImages(spec).trivy,
            env: [
              ...envList(env),
              ...(redis ? [fromSecret('REDIS_PASSWORD', redis.secret, redis.key)] : []),
              literal('SCANNER_REDIS_URL', url),
              literal('SCANNER_STORE_REDIS_URL', url),
              literal('SCANNER_JOB_QUEUE_REDIS_URL', url),
            ],
            ports: [{ name: 'http', containerPort: ports.trivy, protocol: 'TCP' }],
            volumeMounts: [{ name: 'cache', mountPath: trivyCacheDir }],
            livenessProbe: httpProbe('/probe/healthy', ports.trivy),
            readinessProbe: httpProbe('/probe/ready', ports.trivy),
            ...(resourcesOf(c.resources) ? { resources: resourcesOf(c.resources) } : {}),
          }),
        ],
        volumes: [{ name: 'cache', emptyDir: {} }],
      },
    }),
  };
}
