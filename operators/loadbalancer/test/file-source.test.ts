// The mounted-ConfigMap source on a real filesystem: the kubelet's `..data` symlink swap, plain
// files, a directory that appears late, and bundles without haproxy.cfg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileConfigSource } from '../src/agent/file-source.js';
import type { ConfigSnapshot } from '../src/agent/source.js';
import { publishConfigMapDir } from './support/configmap-dir.js';
import { waitFor } from './support/http.js';

async function withSource(dir: string, fn: (seen: ConfigSnapshot[]) => Promise<void>): Promise<void> {
  const seen: ConfigSnapshot[] = [];
  const abort = new AbortController();
  const running = fileConfigSource(dir, { pollMs: 5000, settleMs: 10 }).run((s) => seen.push(s), abort.signal);
  try {
    await fn(seen);
  } finally {
    abort.abort();
    await running;
  }
}

test('sees each ..data swap as one snapshot with every file of the new version', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tugboat-fs-'));
  const dir = join(root, 'config');
  try {
    await publishConfigMapDir(dir, { 'haproxy.cfg': 'v1\n', 'web.crtlist': 'a\n' });
    await withSource(dir, async (seen) => {
      await waitFor('the first version', () => (seen.length === 1 ? true : undefined));
      assert.deepEqual(seen[0]?.files, { 'haproxy.cfg': 'v1\n', 'web.crtlist': 'a\n' });
      await publishConfigMapDir(dir, { 'haproxy.cfg': 'v2\n' });
      // Well within the 5 s poll: the directory watch saw the swap.
      await waitFor('the second version', () => (seen.length === 2 ? true : undefined), 2000);
      assert.deepEqual(seen[1]?.files, { 'haproxy.cfg': 'v2\n' });
      await publishConfigMapDir(dir, { 'haproxy.cfg': 'v2\n' });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.length, 2, 'an identical republish is not a change');
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('plain files, a late directory, and bundles without haproxy.cfg', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tugboat-fs-'));
  const dir = join(root, 'late');
  try {
    await withSource(dir, async (seen) => {
      await new Promise((r) => setTimeout(r, 100));
      await mkdir(dir);
      await writeFile(join(dir, 'web.crtlist'), 'a\n');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.length, 0, 'no snapshot without haproxy.cfg');
      await writeFile(join(dir, 'haproxy.cfg'), 'v1\n');
      // The directory did not exist when the source started: looked for every 500 ms until then.
      await waitFor('the late directory', () => (seen.length === 1 ? true : undefined), 2000);
      assert.deepEqual(seen[0]?.files, { 'haproxy.cfg': 'v1\n', 'web.crtlist': 'a\n' });
      await writeFile(join(dir, 'haproxy.cfg'), 'v2\n');
      await waitFor('the rewrite', () => (seen.length === 2 ? true : undefined), 2000);
      assert.equal(seen[1]?.files['haproxy.cfg'], 'v2\n');
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
