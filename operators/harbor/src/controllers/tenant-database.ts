// The tenant's database on the shared PostgreSQL: its password is generated once and stored in
// the tenant's database Secret *before* the role is created with it, so a reconcile killed in
// between finds the password and sets the same one; the role and database are then ensured by
// the (idempotent) provisioner. Readiness is a real login as the tenant.
import type { PostgresServer } from '../api/postgres-server.js';
import { probeDatabase } from '../provision/probes.js';
import { ensureTenantDatabase, type PostgresConnection } from '../provision/postgres.js';
import type { TenantDatabase } from '../render/input.js';
import { labels } from '../render/labels.js';
import { registryNames, tenantDatabaseName, tenantRoleName } from '../render/names.js';
import { retainWithDataAnnotation } from '../render/secret-manifests.js';
import { databaseSecretKeys } from '../render/secret-keys.js';
import { randomString } from '../render/secrets.js';
import type { ProbeResult } from './registry-conditions.js';
import { readSecret, secretValue, type SecretSource } from './secret-reader.js';
import { writeSecretData } from './secret-writes.js';

export interface TenantDatabaseOutcome {
  database: TenantDatabase;
  probe: ProbeResult;
  /** What this call created on the server (for an event), e.g. `role x`, `database x`. */
  created: string[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Makes sure the tenant's role and database exist with the stored password and probes them.
 * `ensure` false skips provisioning when a login already works (a resync of an unchanged spec).
 */
export async function reconcileTenantDatabase(
  src: SecretSource,
  r: { name: string; namespace: string },
  server: PostgresServer,
  admin: PostgresConnection,
  opts: { fieldManager: string; ensure: boolean },
): Promise<TenantDatabaseOutcome> {
  const secretName = registryNames(r.name).databaseSecret;
  const role = tenantRoleName(r.namespace, r.name);
  const databaseName = tenantDatabaseName(r.namespace, r.name);
  const stored = await readSecret(src, { namespace: r.namespace, name: secretName });
  let password = secretValue(stored, databaseSecretKeys.password);
  if (password === undefined) {
    password = randomString(32);
    await writeSecretData(
      src,
      { namespace: r.namespace, name: secretName, labels: labels(r.name, 'core'), annotations: { [retainWithDataAnnotation]: 'true' } },
      stored,
      { [databaseSecretKeys.password]: password, [databaseSecretKeys.username]: role, [databaseSecretKeys.database]: databaseName },
      opts.fieldManager,
    );
  }
  const database: TenantDatabase = {
    host: server.spec.host,
    port: server.spec.port,
    sslMode: server.spec.sslMode,
    database: databaseName,
    username: role,
    password,
  };
  const target = { ...database };
  if (!opts.ensure) {
    const quick = await probeDatabase(target);
    if (quick.ok) return { database, probe: { status: 'True', reason: 'Connected', message: quick.message }, created: [] };
  }
  const created: string[] = [];
  try {
    const r = await ensureTenantDatabase(admin, { database: databaseName, role, password, connectionLimit: server.spec.tenantConnectionLimit });
    if (r.createdRole) created.push(`role ${role}`);
    if (r.createdDatabase) created.push(`database ${databaseName}`);
  } catch (e) {
    return {
      database,
      created,
      probe: {
        status: 'False',
        reason: 'ProvisioningFailed',
        message: `could not create or update database ${databaseName} and role ${role} on ${server.spec.host}:${server.spec.port} with PostgresServer ${server.metadata.name}'s admin login: ${message(e)}`,
      },
    };
  }
  const p = await probeDatabase(target);
  return { database, created, probe: p.ok ? { status: 'True', reason: 'Connected', message: p.message } : { status: 'False', reason: p.reason, message: p.message } };
}
