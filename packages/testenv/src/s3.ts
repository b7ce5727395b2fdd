// A real S3-compatible object store: SeaweedFS (`weed server` with master, volume, filer and the
// S3 gateway in one process, built by `tools/build.sh weed`) on free loopback ports, in a temp
// dir. It starts with one static admin identity (from an s3 config file) and with the embedded
// IAM API writable on the S3 port, so callers can create IAM users, access keys and policies the
// way they would against AWS — which is what per-tenant isolation needs.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, versions } from './binaries.js';
import { freePort } from './ports.js';
import { startProcess, waitFor, type ManagedProcess } from './process.js';
import { releaseService, startReaper } from './reaper.js';

export interface S3Server {
  /** The server's temp directory (data, config, log); removed by stop(). */
  dir: string;
  /** http://127.0.0.1:<port>: S3 API and the embedded IAM API. */
  endpoint: string;
  region: string;
  /** The admin identity: may create buckets, IAM users, access keys and policies. */
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

export function weedBinary(): string {
  return join(cacheDir(), 'bin', `weed-${versions.weed}`, 'weed');
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

export async function startS3(): Promise<S3Server> {
  const bin = weedBinary();
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it with \`tools/build.sh weed\``);
  const root = await mkdtemp(join(tmpdir(), 'tugboat-s3-'));
  const reaper = startReaper(join(root, 'reaper.json'));
  reaper.update([], [root]);
  const accessKey = `admin${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(24).toString('base64url');
  let proc: ManagedProcess | undefined;
  try {
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    const configPath = join(root, 's3.json');
    await writeFile(
      configPath,
      JSON.stringify({
        identities: [{ name: 'admin', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }],
      }),
      { mode: 0o600 },
    );
    for (let attempt = 0; ; attempt++) {
      const p = {
        master: await freePort(), masterGrpc: await freePort(),
        volume: await freePort(), volumeGrpc: await freePort(),
        filer: await freePort(), filerGrpc: await freePort(),
        s3: await freePort(), s3Grpc: await freePort(),
      };
      // Each bucket is a SeaweedFS collection that grows its own volumes (7 at a time for
      // replication 000) on its first write, and every bucket Tugboat creates gets its owner
      // marker at once: 20 volumes ran out at the third bucket. Empty volumes cost no disk.
      const args = [
        'server', `-dir=${dataDir}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
        `-master.port=${p.master}`, `-master.port.grpc=${p.masterGrpc}`, '-master.telemetry=false',
        '-master.volumeSizeLimitMB=64', `-master.dir=${dataDir}`,
        `-volume.port=${p.volume}`, `-volume.port.grpc=${p.volumeGrpc}`, '-volume.max=200', '-volume.preStopSeconds=0',
        '-filer', `-filer.port=${p.filer}`, `-filer.port.grpc=${p.filerGrpc}`, `-filer.localSocket=${join(root, 'filer.sock')}`,
        '-s3', `-s3.port=${p.s3}`, `-s3.port.grpc=${p.s3Grpc}`, `-s3.localSocket=${join(root, 's3.sock')}`,
        '-s3.port.iceberg=0', '-s3.port.lance=0', `-s3.config=${configPath}`,
        // Writable IAM on the S3 port: tenant users and policies are created through it.
        '-s3.iam', '-s3.iam.readOnly=false',
      ];
      proc = startProcess({ name: 'seaweedfs', command: bin, args, logFile: join(root, 'weed.log'), cwd: root });
      reaper.update([proc.pid], [root]);
      try {
        const base = (port: number) => `http://127.0.0.1:${port}`;
        // Ready means: the S3 gateway answers, the filer answers, and the master can hand out a
        // writable file id (so the first PUT will not fail with "no writable volumes").
        await waitFor(
          `seaweedfs S3 on 127.0.0.1:${p.s3}`,
          async () => {
            const s3 = await httpGet(`${base(p.s3)}/`);
            if (s3.status !== 403 && s3.status !== 200) return false;
            const filer = await httpGet(`${base(p.filer)}/`);
            if (filer.status >= 500) return false;
            const assign = await httpGet(`${base(p.master)}/dir/assign`);
            return assign.status === 200 && assign.body.includes('"fid"');
          },
          { process: proc, timeoutMs: 90_000, intervalMs: 300 },
        );
      } catch (e) {
        await proc.stop(1000);
        if (attempt < 2 && /address already in use/i.test(proc.tail(100))) continue;
        throw e;
      }
      const server = proc;
      return {
        endpoint: `http://127.0.0.1:${p.s3}`,
        region: 'us-east-1',
        accessKey,
        secretKey,
        dir: root,
        async stop() {
          await releaseService(server, root, reaper, 5000);
        },
      };
    }
  } catch (e) {
    await releaseService(proc, root, reaper);
    throw e;
  }
}
