// The dedicated Redis of a Registry (cache mode Dedicated): one pod, one Service, its redis.conf
// in a Secret because it holds requirepass. Tenants never share a Redis: Harbor pins core to
// database 0, so two Harbors on one server would see each other's keys.
import type { Deployment, Service } from '@tugboat/runtime/kinds';
import { checksum } from './checksum.js';
import { ports } from './endpoints.js';
import type { RenderInput } from './input.js';
import { registryNames } from './names.js';
import { redisConf } from './redis-config.js';
import { container, deployment, ownerOf, resourcesOf, service } from './workload.js';

export interface CacheObjects {
  deployment: Deployment;
  service: Service;
}

export function renderCache(input: RenderInput): CacheObjects | undefined {
  const { spec } = input.registry;
  if (spec.cache.mode !== 'Dedicated') return undefined;
  const owner = ownerOf(input);
  const names = registryNames(input.registry.name);
  const d = spec.cache.dedicated;
  const probe = { tcpSocket: { port: ports.redis }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };
  return {
    service: service(owner, names.redis, 'redis', [{ name: 'redis', port: ports.redis, targetPort: 'redis', protocol: 'TCP' }]),
    deployment: deployment({
      owner,
      name: names.redis,
      component: 'redis',
      replicas: 1,
      checksum: checksum(redisConf(input)),
      // Two Redis pods side by side would be two separate caches; replace, do not overlap.
      strategy: { type: 'Recreate' },
      pod: {
        ...(d.priorityClassName ? { priorityClassName: d.priorityClassName } : {}),
        // The official image's redis user.
        securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          container({
            name: 'redis',
            image: d.image,
            args: ['redis-server', '/etc/redis/redis.conf'],
            ports: [{ name: 'redis', containerPort: ports.redis, protocol: 'TCP' }],
            volumeMounts: [
              { name: 'config', mountPath: '/etc/redis', readOnly: true },
              { name: 'data', mountPath: '/data' },
            ],
            livenessProbe: probe,
            readinessProbe: probe,
            ...(resourcesOf(d.resources) ? { resources: resourcesOf(d.resources) } : {}),
          }),
        ],
        volumes: [
          { name: 'config', secret: { secretName: names.redis, defaultMode: 0o440 } },
          { name: 'data', emptyDir: {} },
        ],
      },
    }),
  };
}
