// Which Secrets an LB's HTTPS listeners serve certificates from. The controller mounts them into
// the pod; the renderer references them by path. A cert-manager issued certificate lands in a
// Secret whose name is derived here, so both sides agree on it without storing it anywhere.
import { createHash } from 'node:crypto';
import type { LoadBalancerSpec } from '../api/loadbalancer.js';

export interface ListenerCertificate {
  secretName: string;
  /** SNI filters for the crt-list; empty means "the names in the certificate". */
  sniHosts: readonly string[];
}

/** `<lb>-<listener>-tls`, shortened with a hash when over the 253 characters of an object name. */
export function issuedCertificateSecretName(lbName: string, listenerName: string): string {
  const name = `${lbName}-${listenerName}-tls`;
  if (name.length <= 253) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${name.slice(0, 253 - 11).replace(/[-.]+$/, '')}-${hash}`;
}

/** Certificates per HTTPS listener, in serving order (the first is the default certificate). */
export function listenerCertificates(lbName: string, spec: LoadBalancerSpec): Map<string, ListenerCertificate[]> {
  const out = new Map<string, ListenerCertificate[]>();
  for (const l of spec.listeners) {
    if (l.protocol !== 'HTTPS' || l.tls === undefined) continue;
    if (l.tls.issuer !== undefined) {
      out.set(l.name, [{ secretName: issuedCertificateSecretName(lbName, l.name), sniHosts: l.tls.issuer.hostnames }]);
    } else {
      out.set(l.name, (l.tls.certificates ?? []).map((c) => ({ secretName: c.secretRef.name, sniHosts: c.sniHosts ?? [] })));
    }
  }
  return out;
}

/** Every Secret the LB's pods must mount, sorted and without duplicates. */
export function certificateSecretNames(lbName: string, spec: LoadBalancerSpec): string[] {
  const names = new Set<string>();
  for (const certs of listenerCertificates(lbName, spec).values()) for (const c of certs) names.add(c.secretName);
  return [...names].sort();
}
