// The portal (web UI): ConfigMap (nginx.conf), Deployment and Service.
import type { ConfigMap, Deployment, Service } from '@tugboat/runtime/kinds';
import { checksum } from './checksum.js';
import { ports } from './endpoints.js';
import { harborImages } from './images.js';
import type { RenderInput } from './input.js';
import { registryNames } from './names.js';
import { portalNginxConf } from './portal-config.js';
import { configMap, container, deployment, httpProbe, ownerOf, resourcesOf, scheduling, service } from './workload.js';

export interface PortalObjects {
  configMap: ConfigMap;
  deployment: Deployment;
  service: Service;
}

export function renderPortal(input: RenderInput): PortalObjects {
  const owner = ownerOf(input);
  const names = registryNames(input.registry.name);
  const { spec } = input.registry;
  const c = spec.components.portal;
  const data = { 'nginx.conf': portalNginxConf() };
  return {
    configMap: configMap(owner, names.portal, 'portal', data),
    service: service(owner, names.portal, 'portal', [{ name: 'http', port: ports.http, targetPort: 'http', protocol: 'TCP' }]),
    deployment: deployment({
      owner,
      name: names.portal,
      component: 'portal',
      replicas: c.replicas,
      checksum: checksum(data),
      pod: {
        ...scheduling(c),
        ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
        containers: [
          container({
            name: 'portal',
            image: harborImages(spec).portal,
            ports: [{ name: 'http', containerPort: ports.portal, protocol: 'TCP' }],
            volumeMounts: [{ name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true }],
            livenessProbe: httpProbe('/', ports.portal),
            readinessProbe: httpProbe('/', ports.portal),
            ...(resourcesOf(c.resources) ? { resources: resourcesOf(c.resources) } : {}),
          }),
        ],
        volumes: [{ name: 'config', configMap: { name: names.portal } }],
      },
    }),
  };
}
