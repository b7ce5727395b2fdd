// Certificates for a local control plane: one CA signs the apiserver's serving cert and the
// client certs (CN = user, O = groups, which is how the apiserver reads identities), plus a
// separate key pair for signing service-account tokens.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 is typed against the DOM's Crypto; Node's webcrypto is the same API.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface KeyPairPem {
  cert: string;
  key: string;
}

export interface CertificateAuthority extends KeyPairPem {
  issue(opts: { commonName: string; organizations?: string[]; dnsNames?: string[]; ips?: string[]; server?: boolean; client?: boolean; days?: number }): Promise<KeyPairPem>;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
}

function dn(cn: string, orgs: string[] = []): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${esc(cn)}`, ...orgs.map((o) => `O=${esc(o)}`)].join(', ');
}

export async function createCA(commonName = 'tugboat-testenv-ca', days = 365): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: dn(commonName),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const ca: CertificateAuthority = {
    cert: caCert.toString('pem') + '\n',
    key: await keyPem(keys.privateKey),
    async issue(o) {
      const leafKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
      const usages: string[] = [];
      if (o.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
      if (o.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
      const names: x509.JsonGeneralName[] = [
        ...(o.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })),
        ...(o.ips ?? []).map((v) => ({ type: 'ip' as const, value: v })),
      ];
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(usages, false),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ];
      if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: dn(o.commonName, o.organizations),
        issuer: caCert.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + (o.days ?? days) * DAY),
        signingAlgorithm: alg,
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        extensions,
      });
      return { cert: leaf.toString('pem') + '\n', key: await keyPem(leafKeys.privateKey) };
    },
  };
  return ca;
}

/** A bare key pair (PEM) for service-account token signing. */
export async function createSigningKey(): Promise<{ privateKey: string; publicKey: string }> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  const b64 = Buffer.from(spki).toString('base64').replace(/(.{64})/g, '$1\n');
  return { privateKey: await keyPem(keys.privateKey), publicKey: `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n` };
}
