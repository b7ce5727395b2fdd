// The Ingress that exposes a Registry: Harbor's API, token service, the registry API (/v2/,
// proxied by core) and the chart/cache endpoint (/c/) go to core; everything else is the UI.
import type { Ingress } from '@tugboat/runtime/kinds';
import type { RenderInput } from './input.js';
import { ports } from './endpoints.js';
import { registryNames } from './names.js';
import { meta, ownerOf } from './workload.js';

export const corePaths = ['/api/', '/service/', '/v2/', '/c/'] as const;

/** The TLS Secret the Ingress serves: the user's, or the one cert-manager fills for us. */
export function tlsSecretName(input: RenderInput): string | undefined {
  const tls = input.registry.spec.expose.ingress.tls;
  if (!tls) return undefined;
  return tls.secretName ?? registryNames(input.registry.name).tls;
}

export function renderIngress(input: RenderInput): Ingress {
  const names = registryNames(input.registry.name);
  const ing = input.registry.spec.expose.ingress;
  const backend = (name: string) => ({ service: { name, port: { number: ports.http } } });
  const secretName = tlsSecretName(input);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(ownerOf(input), names.ingress, 'harbor', {
      annotations: {
        // Image layers are large; no body-size limit, and no buffering of uploads.
        'nginx.ingress.kubernetes.io/proxy-body-size': '0',
        'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
        ...ing.annotations,
      },
    }),
    spec: {
      ...(ing.className ? { ingressClassName: ing.className } : {}),
      ...(secretName ? { tls: [{ hosts: [ing.host], secretName }] } : {}),
      rules: [
        {
          host: ing.host,
          http: {
            paths: [
              ...corePaths.map((path) => ({ path, pathType: 'Prefix' as const, backend: backend(names.core) })),
              { path: '/', pathType: 'Prefix' as const, backend: backend(names.portal) },
            ],
          },
        },
      ],
    },
  };
}
