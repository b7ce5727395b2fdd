// cert-manager's Certificate CRD, for tests of operators that request certificates. Only the
// API is installed: cert-manager itself (its controller, issuers, ACME) cannot run here, so
// nothing ever issues a Certificate. A test that needs the issued Secret creates it itself and
// says so. The schema keeps spec and status open: what the apiserver checks is not what is
// under test, the fields the operator writes are.
import type { ControlPlane } from './controlplane.js';

export const certManagerCertificateCrdName = 'certificates.cert-manager.io';

export const certManagerCertificateCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: certManagerCertificateCrdName },
  spec: {
    group: 'cert-manager.io',
    scope: 'Namespaced',
    names: { kind: 'Certificate', listKind: 'CertificateList', plural: 'certificates', singular: 'certificate', shortNames: ['cert', 'certs'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
} as const;

/** Installs the Certificate CRD and waits until the apiserver serves it. */
export async function installCertManagerCrds(cp: Pick<ControlPlane, 'kubectl'>): Promise<void> {
  await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: JSON.stringify(certManagerCertificateCrd) });
  await cp.kubectl(['wait', '--for=condition=Established', `crd/${certManagerCertificateCrdName}`, '--timeout=60s']);
}
