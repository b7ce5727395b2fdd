// A real PostgreSQL server (Debian's postgresql-15) on a free loopback port, in a temp dir, for
// tests and the demo. PostgreSQL refuses to run as root, so under root initdb and the postmaster
// run as the `postgres` system user via setpriv, which execs in place: the pid we hold is the
// postmaster itself and its backends share its process group, so stop() and the reaper take
// them all down.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';
import { startProcess, waitFor, type ManagedProcess } from './process.js';
import { releaseService, startReaper } from './reaper.js';

const run = promisify(execFile);

export interface PostgresServer {
  /** The server's temp directory (data, config, log); removed by stop(). */
  dir: string;
  host: string;
  port: number;
  /** A superuser, the shape of credentials an operator is given for a shared server. */
  adminUser: string;
  adminPassword: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Major version of the Debian package (postgresql-<major>). */
  major?: number;
}

function postgresBin(major: number, name: string): string {
  const p = `/usr/lib/postgresql/${major}/bin/${name}`;
  if (!existsSync(p)) {
    throw new Error(
      `${p} not found: install PostgreSQL ${major} with \`apt-get update && apt-get install -y postgresql-${major}\``,
    );
  }
  return p;
}

interface RunAs {
  /** Prefix that makes a command run as the unprivileged user (empty when we are not root). */
  prefix: string[];
  uid: number;
  gid: number;
}

async function unprivileged(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error('running as root needs the `postgres` system user (created by the postgresql-15 package)');
  }
  return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'], uid, gid };
}

function command(as: RunAs | undefined, bin: string, args: string[]): [string, string[]] {
  if (!as) return [bin, args];
  const [head, ...rest] = as.prefix;
  return [head as string, [...rest, bin, ...args]];
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const major = opts.major ?? 15;
  const initdb = postgresBin(major, 'initdb');
  const postgres = postgresBin(major, 'postgres');
  const pgIsReady = postgresBin(major, 'pg_isready');
  const as = await unprivileged();

  const root = await mkdtemp(join(tmpdir(), 'tugboat-postgres-'));
  const reaper = startReaper(join(root, 'reaper.json'));
  reaper.update([], [root]);
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  const adminUser = 'postgres';
  const adminPassword = randomBytes(18).toString('base64url');
  let proc: ManagedProcess | undefined;
  try {
    // The temp root is private to root; the postgres user must be able to reach its subdirs.
    await chmod(root, 0o755);
    const pwFile = join(root, 'pwfile');
    await writeFile(pwFile, adminPassword + '\n', { mode: 0o600 });
    if (as) {
      await chown(pwFile, as.uid, as.gid);
      await run('install', ['-d', '-o', String(as.uid), '-g', String(as.gid), '-m', '0700', dataDir, socketDir]);
    }
    const [initCmd, initArgs] = command(as, initdb, [
      '-D', dataDir, '-U', adminUser, `--pwfile=${pwFile}`,
      '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync',
    ]);
    await run(initCmd, initArgs, { cwd: root });
    await rm(pwFile);

    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const [cmd, args] = command(as, postgres, [
        '-D', dataDir, '-p', String(port), '-k', socketDir,
        '-c', 'listen_addresses=127.0.0.1',
        // Durability is irrelevant for a throwaway test server; speed is not.
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      ]);
      proc = startProcess({ name: 'postgres', command: cmd, args, logFile: join(root, 'postgres.log'), cwd: root });
      reaper.update([proc.pid], [root]);
      try {
        const p = proc;
        await waitFor(
          `postgres on 127.0.0.1:${port}`,
          async () => {
            const r = await run(pgIsReady, ['-h', '127.0.0.1', '-p', String(port), '-t', '1']).then(
              () => true,
              () => false,
            );
            return r;
          },
          { process: p, timeoutMs: 30_000 },
        );
      } catch (e) {
        await proc.stop();
        if (attempt < 2 && /could not bind|Address already in use/.test(proc.tail())) continue;
        throw e;
      }
      const server = proc;
      return {
        host: '127.0.0.1',
        port,
        adminUser,
        adminPassword,
        dataDir,
        dir: root,
        async stop() {
          // SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of waiting for
          // them (SIGTERM's "smart" mode would wait on any pool a test left open).
          try {
            process.kill(server.pid, 'SIGINT');
          } catch {
            /* already gone */
          }
          await Promise.race([server.exited, sleep(10_000)]);
          await releaseService(server, root, reaper);
        },
      };
    }
  } catch (e) {
    await releaseService(proc, root, reaper);
    throw e;
  }
}
