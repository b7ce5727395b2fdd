// A cert-manager Certificate for the Ingress host, when the spec asks cert-manager to issue one.
// (The token-signing certificate is not issued this way: it is self-signed by the operator, so
// an ACME issuer can never leave it pending — the archived operator's issue #923.)
import type { KubeObject } from '@tugboat/runtime/object';
import type { RenderInput } from './input.js';
import { registryNames } from './names.js';
import { meta, ownerOf } from './workload.js';

export interface Certificate extends KubeObject {
  spec: {
    secretName: string;
    dnsNames: string[];
    issuerRef: { name: string; kind: string; group: string };
    privateKey?: { rotationPolicy?: 'Always' | 'Never'; algorithm?: string; size?: number };
  };
}

export function renderCertificate(input: RenderInput): Certificate | undefined {
  const ing = input.registry.spec.expose.ingress;
  const cm = ing.tls?.certManager;
  if (!cm) return undefined;
  const names = registryNames(input.registry.name);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: meta(ownerOf(input), names.tls, 'harbor'),
    spec: {
      secretName: names.tls,
      dnsNames: [ing.host],
      issuerRef: { name: cm.issuerRef.name, kind: cm.issuerRef.kind, group: cm.issuerRef.group },
      privateKey: { rotationPolicy: 'Always', algorithm: 'ECDSA', size: 256 },
    },
  };
}
