// Generation of Harbor's internal secrets. This is the one side-effecting module under render/:
// it draws randomness (crypto.randomBytes, bcrypt salts, key generation). It runs once per
// Registry — the controller stores the result in a Secret and reads it back on every later
// reconcile — and the pure renderers take the result as input.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { compare, hash } from 'bcryptjs';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The user core and jobservice log in to the registry as (htpasswd basic auth). */
export const registryUser = 'harbor_registry_user';

export interface HarborSecrets {
  /** Shared by core, jobservice and registryctl (CORE_SECRET). */
  coreSecret: string;
  /** JOBSERVICE_SECRET. */
  jobserviceSecret: string;
  /** REGISTRY_HTTP_SECRET: signs the registry's upload state. */
  registryHttpSecret: string;
  /** Password of harbor_registry_user, and its htpasswd line (bcrypt). */
  registryPassword: string;
  registryHtpasswd: string;
  /** CSRF_KEY: exactly 32 characters. */
  csrfKey: string;
  /** Private key (PKCS#8 PEM) and self-signed certificate core's token service signs with. */
  tokenKey: string;
  tokenCert: string;
  /** requirepass of the dedicated Redis. */
  redisPassword: string;
  /** Initial admin password; used only when the spec names no Secret for it. */
  adminPassword: string;
  /**
   * Harbor's secretKey: exactly 16 characters, encrypts credentials stored in the database.
   * Used only when the spec names no Secret for it, and never regenerated afterwards.
   */
  encryptionKey: string;
}

const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random string over `alphabet`. Bytes that would bias the result (those at or above the
 * largest multiple of the alphabet size) are discarded rather than folded in with a modulo.
 */
export function randomString(length: number, alphabet = alphanumeric): string {
  const n = alphabet.length;
  const limit = 256 - (256 % n);
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b >= limit) continue;
      out += alphabet[b % n];
      if (out.length === length) break;
    }
  }
  return out;
}

/** `user:bcrypt(password)`, the line the registry's htpasswd auth reads. */
export async function htpasswdLine(user: string, password: string, rounds = 10): Promise<string> {
  return `${user}:${await hash(password, rounds)}`;
}

/** Whether an htpasswd line (as generated above) accepts the password. */
export async function htpasswdAccepts(line: string, user: string, password: string): Promise<boolean> {
  const i = line.indexOf(':');
  if (i < 0 || line.slice(0, i) !== user) return false;
  return compare(password, line.slice(i + 1).trim());
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** An RSA key pair and a self-signed certificate for core's token service. */
export async function generateTokenCertificate(opts: { bits?: number; days?: number; now?: Date } = {}): Promise<{ key: string; cert: string }> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: opts.bits ?? 4096 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = opts.now ?? new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(12).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'CN=harbor-token-issuer',
    notBefore: new Date(now.getTime() - 60_000),
    // The token certificate is internal to one Harbor; rotating it is not automated, so it is
    // made long-lived rather than expiring under a running registry.
    notAfter: new Date(now.getTime() + (opts.days ?? 3650) * 24 * 3600 * 1000),
    signingAlgorithm: alg,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const key = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { key, cert: cert.toString('pem') + '\n' };
}

export async function generateHarborSecrets(opts: { tokenKeyBits?: number } = {}): Promise<HarborSecrets> {
  const registryPassword = randomString(32);
  const token = await generateTokenCertificate({ bits: opts.tokenKeyBits ?? 4096 });
  return {
    // 16 characters, as harbor-helm documents for core, jobservice and registry secrets.
    coreSecret: randomString(16),
    jobserviceSecret: randomString(16),
    registryHttpSecret: randomString(16),
    registryPassword,
    registryHtpasswd: await htpasswdLine(registryUser, registryPassword),
    csrfKey: randomString(32),
    tokenKey: token.key,
    tokenCert: token.cert,
    redisPassword: randomString(32),
    adminPassword: randomString(24),
    encryptionKey: randomString(16),
  };
}
