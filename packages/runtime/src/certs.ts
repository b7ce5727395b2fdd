// Webhooks are called by the apiserver over TLS, and the apiserver trusts only the CA bundle
// written into the webhook configuration. Rather than require cert-manager, the runtime runs a
// small CA of its own: it issues the serving certificate, renews it before it expires, and
// renews the CA itself with an overlap (old and new CA both in the bundle) so no request is ever
// refused during a rotation. ECDSA P-256 keys: fast to generate, accepted by Go's TLS stack.
import 'reflect-metadata'; // @peculiar/x509 2.x needs it loaded before its first use
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 is typed against the DOM's Crypto; Node's webcrypto is the same API.
const cryptoProvider = webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0];
x509.cryptoProvider.set(cryptoProvider);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;
// Issued certificates start a minute in the past so a peer whose clock is slightly behind
// does not see them as not yet valid.
const BACKDATE = 60_000;

/** A certificate and its private key, PEM encoded. */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  subject: string;
}

export function certificateInfo(pem: string): CertificateInfo {
  const c = new NodeX509(pem);
  return { notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), serialNumber: c.serialNumber, subject: c.subject };
}

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function derOfPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function serial(): string {
  // Positive, 12 random bytes: unique enough that a renewed certificate never reuses a serial.
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

/** Creates a self-signed CA valid for `validForMs` (default 10 years). */
export async function createCertificateAuthority(opts: { commonName?: string; validForMs?: number } = {}): Promise<KeyPair> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${opts.commonName ?? 'tugboat-webhook-ca'}`,
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(now + (opts.validForMs ?? 3650 * DAY)),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

export interface ServingCertificateOptions {
  /** DNS names, e.g. `my-webhook.my-ns.svc`. */
  dnsNames?: string[];
  /** IP addresses, e.g. `127.0.0.1` when the apiserver calls a webhook on the host. */
  ipAddresses?: string[];
  /** Default 90 days. */
  validForMs?: number;
}

/** Issues a TLS serving certificate signed by `ca`. */
export async function issueServingCertificate(ca: KeyPair, opts: ServingCertificateOptions): Promise<KeyPair> {
  const dnsNames = opts.dnsNames ?? [];
  const ips = opts.ipAddresses ?? [];
  if (dnsNames.length === 0 && ips.length === 0) throw new TypeError('a serving certificate needs at least one DNS name or IP address');
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey('pkcs8', derOfPem(ca.key), alg, false, ['sign']);
  const keys = await generateKeys();
  const now = Date.now();
  const caNotAfter = caCert.notAfter.getTime();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${dnsNames[0] ?? ips[0] ?? 'webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE),
    // Never outlive the CA: a chain is only as valid as its shortest link.
    notAfter: new Date(Math.min(now + (opts.validForMs ?? 90 * DAY), caNotAfter)),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      new x509.SubjectAlternativeNameExtension(
        [...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value }))],
        false,
      ),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Everything a webhook server needs: its serving pair, the CA that signed it, the bundle to trust. */
export interface TlsMaterial {
  ca: KeyPair;
  serving: KeyPair;
  /** PEM of every CA the apiserver should trust right now (during a CA rotation: the old and the new). */
  caBundle: string;
}

/** Where the CA and serving certificate live between restarts and across replicas (e.g. a Secret). */
export interface CertStore {
  load(): Promise<TlsMaterial | undefined>;
  save(material: TlsMaterial): Promise<void>;
}

export interface CertRotatorOptions extends ServingCertificateOptions {
  /** CA lifetime; default 10 years. */
  caValidForMs?: number;
  /** Renew a certificate once less than this fraction of its lifetime remains; default 1/3. */
  renewFraction?: number;
  store?: CertStore;
  /**
   * Called with the new CA bundle before any certificate it is needed for is served, so the
   * webhook configurations (and CRD conversion clientConfigs) can be updated first.
   */
  onCABundle?: (caBundle: string) => Promise<void>;
  /** Called after the serving certificate changed (the webhook server swaps its TLS context here). */
  onServing?: (material: TlsMaterial) => void;
  /** Errors from background renewals; they are retried on the next check. */
  onError?: (err: unknown) => void;
  /** How often to check for renewal; default 1 minute, capped by the time until renewal is due. */
  checkIntervalMs?: number;
}

export interface CertRotator {
  /** Loads or creates the material; call once before serving. */
  start(): Promise<TlsMaterial>;
  current(): TlsMaterial;
  /** Renews now (the serving certificate; the CA too when `ca` is set). */
  rotate(opts?: { ca?: boolean }): Promise<TlsMaterial>;
  stop(): void;
}

function dueAt(pem: string, fraction: number): number {
  const { notBefore, notAfter } = certificateInfo(pem);
  // Lifetime from issuance: the backdating is clock-skew slack, not time the certificate was used.
  const life = Math.max(0, notAfter.getTime() - notBefore.getTime() - BACKDATE);
  return notAfter.getTime() - life * fraction;
}

function coversNames(pem: string, opts: ServingCertificateOptions): boolean {
  const c = new NodeX509(pem);
  return (opts.dnsNames ?? []).every((n) => c.checkHost(n) !== undefined) && (opts.ipAddresses ?? []).every((ip) => c.checkIP(ip) !== undefined);
}

function bundleOf(...cas: string[]): string {
  return cas.map((c) => c.trim() + '\n').join('');
}

/**
 * Keeps a CA and a serving certificate valid: creates them (or loads them from `store`), then
 * checks periodically and renews each once `renewFraction` of its lifetime is left. A renewed CA
 * is added to the bundle, the bundle is published through `onCABundle`, and only then is a
 * certificate signed by it served; the old CA leaves the bundle once nothing it signed is served.
 */
export function createCertRotator(opts: CertRotatorOptions): CertRotator {
  const fraction = opts.renewFraction ?? 1 / 3;
  let material: TlsMaterial | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<TlsMaterial> | undefined;

  async function publish(next: TlsMaterial, bundleChanged: boolean): Promise<TlsMaterial> {
    if (bundleChanged && opts.onCABundle) await opts.onCABundle(next.caBundle);
    if (opts.store) await opts.store.save(next);
    material = next;
    opts.onServing?.(next);
    return next;
  }

  async function renew(force: { ca?: boolean; serving?: boolean }): Promise<TlsMaterial> {
    const prev = material;
    if (!prev) throw new Error('certificate rotator not started');
    const now = Date.now();
    const caDue = force.ca === true || dueAt(prev.ca.cert, fraction) <= now;
    const servingDue = caDue || force.serving === true || dueAt(prev.serving.cert, fraction) <= now || !coversNames(prev.serving.cert, opts);
    if (!servingDue) {
      // After a CA rotation the old CA leaves the bundle once nothing it signed is served.
      const own = bundleOf(prev.ca.cert);
      if (prev.caBundle !== own && servingSignedBy(prev.serving.cert, prev.ca.cert)) return publish({ ...prev, caBundle: own }, true);
      return prev;
    }
    let ca = prev.ca;
    if (caDue) {
      ca = await createCertificateAuthority({ validForMs: opts.caValidForMs });
      // Trust old and new before serving anything the new CA signed.
      await publish({ ...prev, caBundle: bundleOf(ca.cert, prev.ca.cert) }, true);
    }
    const serving = await issueServingCertificate(ca, opts);
    return publish({ ca, serving, caBundle: material?.caBundle ?? prev.caBundle }, false);
  }

  function schedule(): void {
    if (stopped || !material) return;
    const due = Math.min(dueAt(material.serving.cert, fraction), dueAt(material.ca.cert, fraction));
    const wait = Math.max(1_000, Math.min(opts.checkIntervalMs ?? 60_000, due - Date.now()));
    timer = setTimeout(() => {
      void serialized(() => renew({}))
        .catch((err: unknown) => opts.onError?.(err))
        .finally(schedule);
    }, wait);
    timer.unref();
  }

  // Renewals never overlap: a manual rotate() and a timer firing together would otherwise both
  // create a CA and publish different bundles.
  function serialized(fn: () => Promise<TlsMaterial>): Promise<TlsMaterial> {
    const run = (running ?? Promise.resolve(undefined as unknown as TlsMaterial)).catch(() => undefined).then(fn);
    running = run;
    return run;
  }

  return {
    async start() {
      const loaded = opts.store ? await opts.store.load() : undefined;
      if (loaded) {
        material = loaded;
        const renewed = await serialized(() => renew({}));
        // A loaded bundle may not be published yet (a new replica, a configuration reset).
        if (renewed === loaded) await publish(loaded, true);
      } else {
        const ca = await createCertificateAuthority({ validForMs: opts.caValidForMs });
        const serving = await issueServingCertificate(ca, opts);
        await publish({ ca, serving, caBundle: bundleOf(ca.cert) }, true);
      }
      schedule();
      return this.current();
    },
    current() {
      if (!material) throw new Error('certificate rotator not started');
      return material;
    },
    async rotate(o = {}) {
      const next = await serialized(() => renew({ ca: o.ca === true, serving: true }));
      if (timer) clearTimeout(timer);
      schedule();
      return next;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

function servingSignedBy(servingPem: string, caPem: string): boolean {
  try {
    return new NodeX509(servingPem).verify(new NodeX509(caPem).publicKey);
  } catch {
    return false;
  }
}
