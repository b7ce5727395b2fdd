// cert-manager's Certificate, which the renderer emits when a Registry asks cert-manager for its
// Ingress certificate. Declared (not watched): cert-manager may not be installed, and an informer
// on a missing CRD would keep the operator's caches from ever syncing.
import { defineKind } from '@tugboat/runtime';
import type { Certificate as CertificateObject } from '../render/certificate.js';

export const Certificate = defineKind<CertificateObject>({ group: 'cert-manager.io', version: 'v1', kind: 'Certificate', plural: 'certificates', namespaced: true });
