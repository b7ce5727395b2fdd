// The webhook CA kept in a Secret, so a restarted operator serves under the CA the cluster
// already trusts instead of installing a new bundle on every start, and replicas that start
// later load the CA the first one made. Keys: the kubernetes.io/tls pair for the serving
// certificate, plus the CA pair and the bundle currently installed.
import type { CertStore, TlsMaterial } from './certs.js';
import type { Client } from './client.js';
import { isNotFound } from './errors.js';
import { Secret } from './kinds.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

export function secretCertStore(client: Client, ref: { namespace: string; name: string; fieldManager?: string }): CertStore {
  return {
    async load() {
      let secret: Secret;
      try {
        secret = await client.get(Secret, ref);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const d = secret.data ?? {};
      const [caCert, caKey, cert, key, caBundle] = [d['ca.crt'], d['ca.key'], d['tls.crt'], d['tls.key'], d['ca-bundle.crt']].map(unb64);
      if (!caCert || !caKey || !cert || !key) return undefined;
      return { ca: { cert: caCert, key: caKey }, serving: { cert, key }, caBundle: caBundle ?? caCert };
    },
    async save(m: TlsMaterial) {
      await client.apply(
        Secret,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': 'tugboat' } },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': b64(m.serving.cert), 'tls.key': b64(m.serving.key), 'ca.crt': b64(m.ca.cert), 'ca.key': b64(m.ca.key), 'ca-bundle.crt': b64(m.caBundle) },
        },
        { fieldManager: ref.fieldManager ?? 'tugboat-webhooks', force: true },
      );
    },
  };
}
