// The shared services a Registry names — a PostgresServer and an ObjectStore — turned into the
// admin connections the provisioners take. Their admin credentials live in Secrets of the
// platform team's namespace; a missing Secret or key is a condition for the user, with the
// object and key it expected, never a crash and never a value in a message.
import type { ObjectStore } from '../api/object-store.js';
import type { PostgresServer } from '../api/postgres-server.js';
import type { PostgresConnection } from '../provision/postgres.js';
import type { ObjectStoreConnection } from '../provision/s3.js';
import { readSecret, secretValue, type SecretSource } from './secret-reader.js';

export type Resolved<T> = { ok: true; value: T } | { ok: false; reason: string; message: string };

async function credentials(
  src: SecretSource,
  what: string,
  ref: { name: string; namespace: string },
  keys: [string, string],
): Promise<Resolved<[string, string]>> {
  const secret = await readSecret(src, ref);
  if (!secret) {
    return {
      ok: false,
      reason: 'AdminCredentialsMissing',
      message: `${what}: Secret ${ref.namespace}/${ref.name} with its admin credentials does not exist; create it with keys ${keys.join(' and ')}`,
    };
  }
  const values = keys.map((k) => secretValue(secret, k));
  const absent = keys.filter((_, i) => values[i] === undefined);
  if (absent.length > 0) {
    return {
      ok: false,
      reason: 'AdminCredentialsMissing',
      message: `${what}: Secret ${ref.namespace}/${ref.name} has no ${absent.join(' or ')} key; add it (or point adminCredentials at the keys it has)`,
    };
  }
  return { ok: true, value: [values[0] ?? '', values[1] ?? ''] };
}

export async function postgresAdmin(src: SecretSource, name: string, server: PostgresServer | undefined): Promise<Resolved<PostgresConnection>> {
  if (!server) {
    return { ok: false, reason: 'ServerNotFound', message: `PostgresServer ${name} does not exist; create it or correct spec.database.serverRef.name` };
  }
  const s = server.spec;
  const creds = await credentials(src, `PostgresServer ${name}`, s.adminCredentials.secretRef, [s.adminCredentials.usernameKey, s.adminCredentials.passwordKey]);
  if (!creds.ok) return creds;
  const [user, password] = creds.value;
  return { ok: true, value: { host: s.host, port: s.port, user, password, database: s.maintenanceDatabase, sslMode: s.sslMode } };
}

export async function objectStoreAdmin(src: SecretSource, name: string, store: ObjectStore | undefined): Promise<Resolved<ObjectStoreConnection>> {
  if (!store) {
    return { ok: false, reason: 'StoreNotFound', message: `ObjectStore ${name} does not exist; create it or correct spec.storage.objectStoreRef.name` };
  }
  const s = store.spec;
  const creds = await credentials(src, `ObjectStore ${name}`, s.adminCredentials.secretRef, [s.adminCredentials.accessKeyKey, s.adminCredentials.secretKeyKey]);
  if (!creds.ok) return creds;
  const [accessKey, secretKey] = creds.value;
  return {
    ok: true,
    value: {
      endpoint: s.endpoint,
      ...(s.iamEndpoint ? { iamEndpoint: s.iamEndpoint } : {}),
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      accessKey,
      secretKey,
    },
  };
}
