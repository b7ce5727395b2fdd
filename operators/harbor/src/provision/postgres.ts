// A tenant's database on a shared PostgreSQL server: one login role and one database it owns,
// nothing else. PUBLIC's CONNECT and TEMP on the database are revoked, so no other tenant's role
// can even open a session in it. Every step checks before it acts, so running it again (every
// reconcile does) changes nothing; dropping is equally safe to repeat.
//
// Identifiers are always quoted with pg's escapeIdentifier. The password never travels as text
// in a statement: the role is given a SCRAM-SHA-256 verifier computed here, so the server's log
// and pg_stat_statements can never show it.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  sslMode: SslMode;
}

export interface TenantDatabase {
  database: string;
  role: string;
  password: string;
  /** CONNECTION LIMIT of the role; -1 for none. */
  connectionLimit: number;
}

export function sslOptions(mode: SslMode): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      // libpq's "require": encrypted, certificate not checked.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

export async function connect(c: PostgresConnection, timeoutMs = 10_000): Promise<pg.Client> {
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    ssl: sslOptions(c.sslMode),
    connectionTimeoutMillis: timeoutMs,
    application_name: 'tugboat-harbor-operator',
  });
  // A server-side disconnect surfaces as an 'error' event; without a listener it would crash
  // the process instead of failing the query in progress.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 7677, as libpq computes it). */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

async function exists(client: pg.Client, sql: string, value: string): Promise<boolean> {
  const r = await client.query(sql, [value]);
  return (r.rowCount ?? 0) > 0;
}

export interface EnsureResult {
  createdRole: boolean;
  createdDatabase: boolean;
}

/**
 * Makes sure the tenant's role (with this password) and database exist, the role owns the
 * database, and PUBLIC cannot connect to it. `admin` must be a superuser or a role with
 * CREATEROLE and CREATEDB.
 */
export async function ensureTenantDatabase(admin: PostgresConnection, t: TenantDatabase): Promise<EnsureResult> {
  const client = await connect(admin);
  try {
    const role = client.escapeIdentifier(t.role);
    const db = client.escapeIdentifier(t.database);
    const password = client.escapeLiteral(scramVerifier(t.password));
    const limit = Math.trunc(t.connectionLimit);
    const createdRole = !(await exists(client, 'SELECT 1 FROM pg_roles WHERE rolname = $1', t.role));
    const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${limit} PASSWORD ${password}`;
    if (createdRole) await client.query(`CREATE ROLE ${role} WITH ${attributes}`);
    else await client.query(`ALTER ROLE ${role} WITH ${attributes}`);

    const superuser = (await client.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0]?.rolsuper ?? false;
    // A non-superuser may only create (or hand over) a database owned by a role it is a member of.
    if (!superuser) await client.query(`GRANT ${role} TO CURRENT_USER`);

    const createdDatabase = !(await exists(client, 'SELECT 1 FROM pg_database WHERE datname = $1', t.database));
    if (createdDatabase) {
      await client.query(`CREATE DATABASE ${db} OWNER ${role} ENCODING 'UTF8' TEMPLATE template0`);
    } else {
      await client.query(`ALTER DATABASE ${db} OWNER TO ${role}`);
    }
    await client.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await client.query(`GRANT ALL ON DATABASE ${db} TO ${role}`);
    return { createdRole, createdDatabase };
  } finally {
    await client.end();
  }
}

export interface DropResult {
  droppedDatabase: boolean;
  droppedRole: boolean;
}

/** Drops the tenant's database (disconnecting its sessions) and its role. */
export async function dropTenantDatabase(admin: PostgresConnection, t: Pick<TenantDatabase, 'database' | 'role'>): Promise<DropResult> {
  const client = await connect(admin);
  try {
    const role = client.escapeIdentifier(t.role);
    const db = client.escapeIdentifier(t.database);
    const droppedDatabase = await exists(client, 'SELECT 1 FROM pg_database WHERE datname = $1', t.database);
    if (droppedDatabase) {
      // Stop new sessions first, then end the running ones as part of the drop.
      await client.query(`REVOKE CONNECT ON DATABASE ${db} FROM ${role}`);
      await client.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
    const droppedRole = await exists(client, 'SELECT 1 FROM pg_roles WHERE rolname = $1', t.role);
    if (droppedRole) await client.query(`DROP ROLE IF EXISTS ${role}`);
    return { droppedDatabase, droppedRole };
  } finally {
    await client.end();
  }
}

export interface TenantDatabaseState {
  database: boolean;
  role: boolean;
  owner?: string;
  publicCanConnect?: boolean;
}

/** What exists of a tenant on the server; for status and for tests. */
export async function inspectTenantDatabase(admin: PostgresConnection, t: Pick<TenantDatabase, 'database' | 'role'>): Promise<TenantDatabaseState> {
  const client = await connect(admin);
  try {
    const role = await exists(client, 'SELECT 1 FROM pg_roles WHERE rolname = $1', t.role);
    const r = await client.query<{ owner: string; public_connect: boolean }>(
      `SELECT pg_get_userbyid(datdba) AS owner,
              has_database_privilege('public', oid, 'CONNECT') AS public_connect
         FROM pg_database WHERE datname = $1`,
      [t.database],
    );
    const row = r.rows[0];
    return row ? { database: true, role, owner: row.owner, publicCanConnect: row.public_connect } : { database: false, role };
  } finally {
    await client.end();
  }
}
