// The data services testenv starts for these tests leave nothing behind: stop() frees their
// ports and removes their directories, and so does the reaper when the test process dies
// without calling stop().
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgres, startRedis, startRegistry, startS3 } from '@tugboat/testenv';

function listening(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(1000, () => {
      s.destroy();
      ok(false);
    });
    s.on('connect', () => {
      s.destroy();
      ok(true);
    });
    s.on('error', () => ok(false));
  });
}

async function gone(ports: number[], dirs: string[], timeoutMs: number): Promise<{ open: number[]; left: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open: number[] = [];
    for (const p of ports) if (await listening(p)) open.push(p);
    const left = dirs.filter((d) => existsSync(d));
    if ((open.length === 0 && left.length === 0) || Date.now() > deadline) return { open, left };
    await sleep(250);
  }
}

describe('testenv data services', { timeout: 180_000 }, () => {
  it('stop() frees the ports and removes the directories', async () => {
    const [pg, redis, s3, registry] = await Promise.all([
      startPostgres(),
      startRedis(),
      startS3(),
      startRegistry('version: 0.1\nstorage:\n  inmemory: {}\nhttp:\n  addr: :5000\n'),
    ]);
    const ports = [pg.port, redis.port, Number(new URL(s3.endpoint).port), registry.port];
    for (const p of ports) assert.equal(await listening(p), true, `port ${p} is served`);
    await Promise.all([pg.stop(), redis.stop(), s3.stop(), registry.stop()]);
    assert.deepEqual(await gone(ports, [pg.dir, redis.dir, s3.dir, registry.dir], 0), { open: [], left: [] });
  });

  it('are cleaned up when the test process is killed', async () => {
    const out = await new Promise<string>((ok) => {
      execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'data-services-crash.ts')], (_e, stdout) => ok(stdout));
    });
    const report = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ports?: number[]; dirs?: string[] };
    assert.equal(report.ports?.length, 4, `the fixture reported its services: ${out}`);
    assert.deepEqual(await gone(report.ports ?? [], report.dirs ?? [], 20_000), { open: [], left: [] });
  });
});
