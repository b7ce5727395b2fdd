// Tenant databases on a real PostgreSQL 15: each tenant gets its own role and database, and no
// tenant's credentials open another tenant's database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PostgresServer } from '@tugboat/testenv';
import {
  connect,
  dropTenantDatabase,
  ensureTenantDatabase,
  inspectTenantDatabase,
  type PostgresConnection,
  type TenantDatabase,
} from '../src/provision/postgres.js';
import { probeDatabase } from '../src/provision/probes.js';
import { tenantDatabaseName } from '../src/render/names.js';

function tenant(namespace: string, name: string, password: string): TenantDatabase {
  const id = tenantDatabaseName(namespace, name);
  return { database: id, role: id, password, connectionLimit: 20 };
}

/** Connects as a tenant; resolves with the error PostgreSQL gave, or undefined on success. */
async function connectError(pg: PostgresServer, t: { role: string; password: string }, database: string): Promise<(Error & { code?: string }) | undefined> {
  try {
    const c = await connect({ host: pg.host, port: pg.port, user: t.role, password: t.password, database, sslMode: 'disable' });
    await c.end();
    return undefined;
  } catch (e) {
    return e as Error & { code?: string };
  }
}

describe('tenant databases on a real PostgreSQL', { timeout: 120_000 }, () => {
  let pg: PostgresServer;
  let admin: PostgresConnection;
  const a = tenant('tenant-a', 'registry', 'password-of-a');
  const b = tenant('tenant-b', 'registry', 'password-of-b');

  before(async () => {
    pg = await startPostgres();
    admin = { host: pg.host, port: pg.port, user: pg.adminUser, password: pg.adminPassword, database: 'postgres', sslMode: 'disable' };
  });
  after(async () => {
    await pg?.stop();
  });

  it('creates a separate role and database per tenant, each owning only its own', async () => {
    assert.deepEqual(await ensureTenantDatabase(admin, a), { createdRole: true, createdDatabase: true });
    assert.deepEqual(await ensureTenantDatabase(admin, b), { createdRole: true, createdDatabase: true });
    assert.notEqual(a.database, b.database);
    for (const t of [a, b]) {
      assert.deepEqual(await inspectTenantDatabase(admin, t), { database: true, role: true, owner: t.role, publicCanConnect: false });
    }
    const c = await connect(admin);
    const roles = await c.query<{ rolname: string; rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean; rolconnlimit: number }>(
      'SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolconnlimit FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname',
      [[a.role, b.role]],
    );
    await c.end();
    assert.deepEqual(
      roles.rows,
      [a.role, b.role].sort().map((rolname) => ({ rolname, rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolconnlimit: 20 })),
    );
  });

  it("lets a tenant use its own database (DDL included, as Harbor's migrations need)", async () => {
    const c = await connect({ host: pg.host, port: pg.port, user: a.role, password: a.password, database: a.database, sslMode: 'disable' });
    await c.query('CREATE TABLE artifact (id serial PRIMARY KEY, digest text NOT NULL)');
    await c.query("INSERT INTO artifact (digest) VALUES ('sha256:aaa')");
    const r = await c.query<{ digest: string }>('SELECT digest FROM artifact');
    await c.end();
    assert.deepEqual(r.rows, [{ digest: 'sha256:aaa' }]);
    assert.deepEqual(await probeDatabase({ host: pg.host, port: pg.port, database: a.database, username: a.role, password: a.password, sslMode: 'disable' }), {
      ok: true,
      message: `connected to database ${a.database} on ${pg.host}:${pg.port} as ${a.role}`,
    });
  });

  it("refuses tenant A's credentials on tenant B's database, and B's on A's", async () => {
    const aOnB = await connectError(pg, a, b.database);
    assert.equal(aOnB?.code, '42501');
    assert.match(aOnB?.message ?? '', new RegExp(`permission denied for database "${b.database}"`));
    const bOnA = await connectError(pg, b, a.database);
    assert.equal(bOnA?.code, '42501');
    assert.match(bOnA?.message ?? '', new RegExp(`permission denied for database "${a.database}"`));
    // A's password is not B's.
    const wrong = await connectError(pg, { role: b.role, password: a.password }, b.database);
    assert.equal(wrong?.code, '28P01');
    const probe = await probeDatabase({ host: pg.host, port: pg.port, database: b.database, username: a.role, password: a.password, sslMode: 'disable' });
    assert.equal(probe.ok, false);
    assert.equal(!probe.ok && probe.reason, 'PermissionDenied');
  });

  it('is idempotent, and resets a password that drifted', async () => {
    assert.deepEqual(await ensureTenantDatabase(admin, a), { createdRole: false, createdDatabase: false });
    const c = await connect(admin);
    await c.query(`ALTER ROLE ${c.escapeIdentifier(a.role)} PASSWORD 'changed-behind-our-back'`);
    await c.end();
    assert.equal((await connectError(pg, a, a.database))?.code, '28P01');
    await ensureTenantDatabase(admin, a);
    assert.equal(await connectError(pg, a, a.database), undefined);
    // The data survived the repeated ensure.
    const t = await connect({ host: pg.host, port: pg.port, user: a.role, password: a.password, database: a.database, sslMode: 'disable' });
    assert.equal((await t.query('SELECT count(*)::int AS n FROM artifact')).rows[0].n, 1);
    await t.end();
  });

  it('quotes identifiers: a name with quotes and SQL in it is just a name', async () => {
    const odd: TenantDatabase = { database: 'db"; DROP DATABASE postgres; --', role: 'role"; DROP ROLE postgres; --', password: "pa'ss", connectionLimit: -1 };
    await ensureTenantDatabase(admin, odd);
    assert.deepEqual(await inspectTenantDatabase(admin, odd), { database: true, role: true, owner: odd.role, publicCanConnect: false });
    assert.equal(await connectError(pg, odd, odd.database), undefined);
    assert.deepEqual(await dropTenantDatabase(admin, odd), { droppedDatabase: true, droppedRole: true });
    assert.equal((await inspectTenantDatabase(admin, { database: 'postgres', role: 'postgres' })).database, true);
  });

  it('works with an admin that is not a superuser (CREATEROLE + CREATEDB only)', async () => {
    const c = await connect(admin);
    await c.query("CREATE ROLE provisioner LOGIN CREATEROLE CREATEDB PASSWORD 'provisioner-password'");
    await c.end();
    const limited: PostgresConnection = { ...admin, user: 'provisioner', password: 'provisioner-password' };
    const t = tenant('tenant-c', 'registry', 'password-of-c');
    assert.deepEqual(await ensureTenantDatabase(limited, t), { createdRole: true, createdDatabase: true });
    assert.equal((await inspectTenantDatabase(admin, t)).owner, t.role);
    assert.equal(await connectError(pg, t, t.database), undefined);
    assert.equal((await connectError(pg, t, a.database))?.code, '42501');
    assert.deepEqual(await dropTenantDatabase(limited, t), { droppedDatabase: true, droppedRole: true });
  });

  it('drops database and role even while the tenant is connected, and a second drop finds nothing', async () => {
    const session = await connect({ host: pg.host, port: pg.port, user: b.role, password: b.password, database: b.database, sslMode: 'disable' });
    assert.deepEqual(await dropTenantDatabase(admin, b), { droppedDatabase: true, droppedRole: true });
    await assert.rejects(session.query('SELECT 1'));
    await session.end().catch(() => undefined);
    assert.deepEqual(await inspectTenantDatabase(admin, b), { database: false, role: false });
    const gone = await connectError(pg, b, b.database);
    assert.equal(gone?.code, '28P01');
    assert.deepEqual(await dropTenantDatabase(admin, b), { droppedDatabase: false, droppedRole: false });
    // Tenant A is untouched.
    assert.equal(await connectError(pg, a, a.database), undefined);
  });
});
