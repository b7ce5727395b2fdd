// Readiness from real checks, made with the tenant's own credentials: a shared service that is
// up but refuses the tenant (wrong password, dropped grant, missing bucket) is not Ready, and the
// condition says which of those it is. The archived operator marked external services Ready
// without any check; these are what DatabaseReady, CacheReady and StorageReady are set from.
//
// Messages name the host, database or bucket and what to do; they never contain a credential.
import { HeadBucketCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { connect, type SslMode } from './postgres.js';
import { pingRedis } from './redis.js';
import { s3Client } from './s3.js';

export type ProbeResult = { ok: true; message: string } | { ok: false; reason: string; message: string };

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface DatabaseProbeTarget {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslMode: SslMode;
}

/** Connects as the tenant's role to the tenant's database and runs a query. */
export async function probeDatabase(t: DatabaseProbeTarget, timeoutMs = 5000): Promise<ProbeResult> {
  const where = `database ${t.database} on ${t.host}:${t.port}`;
  try {
    const client = await connect({ host: t.host, port: t.port, user: t.username, password: t.password, database: t.database, sslMode: t.sslMode }, timeoutMs);
    try {
      const r = await client.query<{ db: string }>('SELECT current_database() AS db');
      if (r.rows[0]?.db !== t.database) return { ok: false, reason: 'WrongDatabase', message: `connected to ${r.rows[0]?.db ?? 'nothing'} instead of ${where}` };
      return { ok: true, message: `connected to ${where} as ${t.username}` };
    } finally {
      await client.end();
    }
  } catch (e) {
    // SQLSTATEs: 28P01 bad password, 28000 no pg_hba entry / role cannot log in,
    // 3D000 database does not exist, 42501 no CONNECT privilege, 53300 too many connections.
    switch (codeOf(e)) {
      case '28P01':
      case '28000':
        return { ok: false, reason: 'AuthenticationFailed', message: `${where} rejected role ${t.username}: ${text(e)}. The stored credentials no longer match; the operator resets them on its next reconcile` };
      case '3D000':
        return { ok: false, reason: 'DatabaseMissing', message: `${where} does not exist; the operator creates it on its next reconcile unless the PostgresServer's admin credentials lack CREATEDB` };
      case '42501':
        return { ok: false, reason: 'PermissionDenied', message: `role ${t.username} may not connect to ${where}: ${text(e)}` };
      case '53300':
        return { ok: false, reason: 'TooManyConnections', message: `${where} has no free connections: ${text(e)}. Lower spec.database.maxOpenConns or raise the server's limits` };
      default:
        return { ok: false, reason: 'DatabaseUnreachable', message: `cannot reach ${where}: ${text(e)}` };
    }
  }
}

export interface CacheProbeTarget {
  host: string;
  port: number;
  password?: string;
}

/** Authenticates to the tenant's Redis and PINGs it. */
export async function probeCache(t: CacheProbeTarget, timeoutMs = 5000): Promise<ProbeResult> {
  const where = `Redis at ${t.host}:${t.port}`;
  try {
    const reply = await pingRedis(t, timeoutMs);
    return reply === 'PONG' ? { ok: true, message: `${where} answered PING` } : { ok: false, reason: 'UnexpectedReply', message: `${where} answered PING with ${reply}` };
  } catch (e) {
    const m = text(e);
    if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(m)) {
      return { ok: false, reason: 'AuthenticationFailed', message: `${where} rejected the tenant's password (${m.split('\n')[0]})` };
    }
    return { ok: false, reason: 'CacheUnreachable', message: `cannot reach ${where}: ${m}` };
  }
}

export interface BucketProbeTarget {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  bucket: string;
  accessKey: string;
  secretKey: string;
}

/** HEADs the bucket with the tenant's own keys. */
export async function probeBucket(t: BucketProbeTarget): Promise<ProbeResult> {
  const where = `bucket ${t.bucket} at ${t.endpoint}`;
  const s3 = s3Client(t, t);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: t.bucket }));
    return { ok: true, message: `${where} is reachable with the tenant's credentials` };
  } catch (e) {
    const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
    if (status === 404) return { ok: false, reason: 'BucketMissing', message: `${where} does not exist; the operator creates it on its next reconcile` };
    if (status === 403 || status === 401) {
      return { ok: false, reason: 'AccessDenied', message: `${where} refused the tenant's access key; the operator replaces the key on its next reconcile` };
    }
    return { ok: false, reason: 'StoreUnreachable', message: `cannot reach ${where}: ${text(e)}` };
  } finally {
    s3.destroy();
  }
}
