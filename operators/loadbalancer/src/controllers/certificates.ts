// Certificates cert-manager issues for HTTPS listeners with `tls.issuer`. For each such
// listener the controller applies a cert-manager Certificate owned by the LB, and holds the
// workload back until the Secret it names exists: pods that mount a missing Secret never start,
// and an HAProxy bind without its certificate is refused. The Secret's name is derived
// (render/certificates.ts), so the renderer and this file agree without storing it.
//
// The Certificate kind is declared, not watched: without cert-manager there is no CRD, and an
// informer on a missing CRD would keep the caches from syncing. Wake-ups come from the issued
// Secrets instead: the Certificate's secretTemplate puts the LB's label on them, and a
// metadata-only informer selects on that label (caches.ts). A Secret without the label (an
// older cert-manager, one made by hand) is confirmed live by a metadata-only read, and a
// pending LB is looked at again after a while in any case.
import {
  apiVersionOf,
  defineKind,
  isNotFound,
  Secret,
  type KubeObject,
  type PartialObjectMetadata,
  type ReconcileContext,
  type Store,
} from '@tugboat/runtime';
import { LoadBalancer } from '../api/loadbalancer.js';
import { issuedCertificateSecretName } from '../render/certificates.js';
import type { Blocker } from './lbstatus.js';
import { standardLabels } from './names.js';

/** The fields of cert-manager's Certificate (cert-manager.io/v1) the operator writes. */
export interface CertManagerCertificate extends KubeObject {
  spec: {
    secretName: string;
    dnsNames: string[];
    issuerRef: { name: string; kind: 'Issuer' | 'ClusterIssuer'; group: 'cert-manager.io' };
    secretTemplate?: { labels?: Record<string, string> };
    privateKey?: { rotationPolicy?: 'Always' | 'Never'; algorithm?: 'RSA' | 'ECDSA' | 'Ed25519'; size?: number };
  };
}

export const CertManagerCertificate = defineKind<CertManagerCertificate>({ group: 'cert-manager.io', version: 'v1', kind: 'Certificate', plural: 'certificates', namespaced: true });

/** How soon an LB waiting for an issued Secret is looked at again without a Secret event. */
export const certificatePendingRetryMs = 30_000;
/** How soon an LB is looked at again when cert-manager is not installed. */
export const certManagerMissingRetryMs = 60_000;

/** The Certificates an LB's spec asks cert-manager for, one per HTTPS listener with tls.issuer. Pure. */
export function renderListenerCertificates(lb: Pick<LoadBalancer, 'metadata' | 'spec'>): CertManagerCertificate[] {
  const name = lb.metadata.name ?? '';
  const labels = standardLabels(name, 'certificate');
  const out: CertManagerCertificate[] = [];
  for (const l of lb.spec.listeners) {
    const issuer = l.protocol === 'HTTPS' ? l.tls?.issuer : undefined;
    if (issuer === undefined) continue;
    const secretName = issuedCertificateSecretName(name, l.name);
    out.push({
      apiVersion: apiVersionOf(CertManagerCertificate),
      kind: CertManagerCertificate.kind,
      metadata: { name: secretName, namespace: lb.metadata.namespace ?? '', labels },
      spec: {
        secretName,
        dnsNames: [...issuer.hostnames],
        issuerRef: { name: issuer.name, kind: issuer.kind, group: 'cert-manager.io' },
        // Copied by cert-manager onto the Secret: the operator's Secret informer selects on it.
        secretTemplate: { labels },
        privateKey: { rotationPolicy: 'Always', algorithm: 'ECDSA', size: 256 },
      },
    });
  }
  return out;
}

export type CertificatesOutcome = { ok: true } | { ok: false; blocker: Blocker; retryAfterMs: number };

async function secretExists(ctx: ReconcileContext, cached: Store<PartialObjectMetadata>, namespace: string, name: string): Promise<boolean> {
  if (cached.get(`${namespace}/${name}`) !== undefined) return true;
  const live = await ctx.client.list(Secret, { namespace, fieldSelector: `metadata.name=${name}`, metadataOnly: true });
  return live.items.length > 0;
}

/**
 * Applies the LB's Certificates and tells whether every issued Secret exists. Not ok while
 * cert-manager is missing (degraded: nothing will ever issue) or a Secret is still pending.
 */
export async function ensureListenerCertificates(ctx: ReconcileContext, lb: LoadBalancer, issuedSecrets: Store<PartialObjectMetadata>): Promise<CertificatesOutcome> {
  const certificates = renderListenerCertificates(lb);
  if (certificates.length === 0) return { ok: true };
  const owner = { ...lb, apiVersion: apiVersionOf(LoadBalancer), kind: LoadBalancer.kind };
  try {
    await ctx.apply(certificates, { owner });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    const names = certificates.map((c) => c.metadata.name ?? '').join(', ');
    return {
      ok: false,
      retryAfterMs: certManagerMissingRetryMs,
      blocker: {
        reason: 'CertManagerMissing',
        degraded: true,
        message: `cert-manager is not installed (no Certificate kind, cert-manager.io/v1), so Certificate ${names} cannot be requested for tls.issuer: install cert-manager, or use tls.certificates with a Secret you manage`,
      },
    };
  }
  const namespace = lb.metadata.namespace ?? '';
  const pending: CertManagerCertificate[] = [];
  for (const c of certificates) if (!(await secretExists(ctx, issuedSecrets, namespace, c.spec.secretName))) pending.push(c);
  if (pending.length === 0) return { ok: true };
  const first = pending[0] as CertManagerCertificate;
  const more = pending.length > 1 ? ` (and ${pending.length - 1} more: ${pending.slice(1).map((c) => c.metadata.name ?? '').join(', ')})` : '';
  return {
    ok: false,
    retryAfterMs: certificatePendingRetryMs,
    blocker: {
      reason: 'CertificatePending',
      message: `waiting for cert-manager to issue Certificate "${first.metadata.name ?? ''}" (${first.spec.issuerRef.kind} "${first.spec.issuerRef.name}", ${first.spec.dnsNames.join(', ')}) into Secret "${first.spec.secretName}"${more}; kubectl describe certificate ${first.metadata.name ?? ''} shows why it is not issued yet`,
    },
  };
}
