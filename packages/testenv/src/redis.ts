// A real Redis server (Debian's redis-server) on a free loopback port, in a temp dir, with no
// persistence. One per call: the Harbor operator gives every tenant its own Redis, and tests
// model that by starting several.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startProcess, waitFor, type ManagedProcess } from './process.js';
import { releaseService, startReaper } from './reaper.js';

export interface RedisServer {
  /** The server's temp directory (data, config, log); removed by stop(). */
  dir: string;
  host: string;
  port: number;
  /** Set when the server requires AUTH (the default). */
  password?: string;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Password for `requirepass`; without one the server needs no AUTH. */
  password?: string;
  /**
   * A redis.conf to run (e.g. one a renderer produced). Port, bind address and data directory
   * are still set by testenv, on the command line, which redis-server lets override the file.
   */
  config?: string;
  binary?: string;
}

/** Sends a raw RESP PING and resolves once the server answers anything (+PONG or -NOAUTH). */
function answers(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (v: boolean) => {
      sock.destroy();
      ok(v);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('*1\r\n$4\r\nPING\r\n'));
    sock.on('data', (d: Buffer) => done(d[0] === 0x2b /* + */ || d[0] === 0x2d /* - */));
  });
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const bin = opts.binary ?? '/usr/bin/redis-server';
  if (!existsSync(bin)) {
    throw new Error(`${bin} not found: install Redis with \`apt-get update && apt-get install -y redis-server\``);
  }
  const root = await mkdtemp(join(tmpdir(), 'tugboat-redis-'));
  const reaper = startReaper(join(root, 'reaper.json'));
  reaper.update([], [root]);
  const password = opts.password;
  let proc: ManagedProcess | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const configArgs: string[] = [];
      if (opts.config !== undefined) {
        const file = join(root, 'redis.conf');
        await writeFile(file, opts.config, { mode: 0o600 });
        configArgs.push(file);
      }
      const args = [
        ...configArgs,
        '--port', String(port), '--bind', '127.0.0.1', '--dir', root,
        '--save', '', '--appendonly', 'no', '--daemonize', 'no',
      ];
      // The password goes in as an argument; this is a throwaway local server, and redis-server
      // has no file-only way to set it without writing a config file holding it anyway.
      if (password) args.push('--requirepass', password);
      proc = startProcess({ name: 'redis', command: bin, args, logFile: join(root, 'redis.log'), cwd: root });
      reaper.update([proc.pid], [root]);
      try {
        await waitFor(`redis on 127.0.0.1:${port}`, () => answers(port), { process: proc, timeoutMs: 20_000 });
      } catch (e) {
        await proc.stop(1000);
        if (attempt < 2 && /Address already in use/.test(proc.tail())) continue;
        throw e;
      }
      const server = proc;
      return {
        host: '127.0.0.1',
        port,
        ...(password ? { password } : {}),
        dir: root,
        async stop() {
          await releaseService(server, root, reaper, 3000);
        },
      };
    }
  } catch (e) {
    await releaseService(proc, root, reaper);
    throw e;
  }
}
