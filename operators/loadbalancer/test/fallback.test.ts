// When the agent follows the API and when the mounted files, and which mounted versions it may
// apply (src/agent/fallback.ts): pure, with time passed in, so each rule is shown by value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFallback, type Decision } from '../src/agent/fallback.js';
import type { ConfigSnapshot } from '../src/agent/source.js';
import { configHash } from '../src/render/hash.js';

const v = (name: string): ConfigSnapshot => ({ files: { 'haproxy.cfg': `# ${name}\n` }, origin: name });
const hashOf = (name: string) => configHash(v(name).files);
const offered = (d: Decision) => d.offer?.origin;
const grace = 10_000;
const lag = 90_000;
const t0 = Date.parse('2026-01-01T00:00:00Z');

test('the API is followed while it works; the mounted files are only watched', () => {
  const f = createFallback({ graceMs: grace }, t0);
  assert.equal(offered(f.fileChanged(v('v1'), t0 + 10)), undefined, 'nothing from the files while the API may still answer');
  const listed = f.apiListed(v('v1'), t0 + 20);
  assert.equal(offered(listed), 'v1');
  assert.deepEqual(listed.state, { active: 'api', api: 'connected', since: '2026-01-01T00:00:00.000Z' });
  assert.equal(listed.checkAt, undefined, 'no switch is pending while the API works');
  assert.equal(offered(f.apiChanged(v('v2'), t0 + 1_000)), 'v2');
  assert.equal(offered(f.apiChanged(v('v2'), t0 + 2_000)), undefined, 'an event that changed no file (a label, an annotation)');
  assert.equal(offered(f.fileChanged(v('v3'), t0 + 200_000)), undefined);
});

test('the files are followed after the API has failed for the grace period, not before', () => {
  const f = createFallback({ graceMs: grace }, t0);
  f.apiListed(v('v1'), t0);
  const failed = f.apiFailed('connect ECONNREFUSED 127.0.0.1:6443', 'unreachable', t0 + 100_000);
  assert.equal(failed.state.active, 'api');
  assert.equal(failed.state.api, 'unreachable');
  assert.equal(failed.state.apiError, 'connect ECONNREFUSED 127.0.0.1:6443');
  assert.equal(failed.checkAt, t0 + 100_000 + grace);
  assert.equal(f.apiFailed('again', 'unreachable', t0 + 105_000).checkAt, t0 + 100_000 + grace, 'measured from the first failure');
  assert.equal(f.tick(t0 + 109_999).state.active, 'api');
  const after = f.tick(t0 + 110_000);
  assert.equal(after.state.active, 'file');
  assert.equal(after.state.since, new Date(t0 + 110_000).toISOString());
  assert.equal(after.checkAt, undefined);
});

test('an API that never answers ends in the files after the grace period, and any mounted version is applied', () => {
  const f = createFallback({ graceMs: grace }, t0);
  assert.deepEqual(f.tick(t0).state, { active: 'api', api: 'connecting', since: new Date(t0).toISOString() });
  assert.equal(f.tick(t0).checkAt, t0 + grace);
  f.fileChanged(v('v1'), t0 + 50);
  assert.equal(offered(f.tick(t0 + grace)), 'v1');
  assert.equal(offered(f.fileChanged(v('v2'), t0 + grace + 1)), 'v2', 'a ..data swap is applied');
  assert.equal(offered(f.tick(t0 + grace + 2)), undefined, 'each version once');
});

test('a refusal (401, 403) switches to the files at once', () => {
  const f = createFallback({ graceMs: grace }, t0);
  f.fileChanged(v('v1'), t0 + 50);
  const denied = f.apiFailed('configmaps is forbidden', 'denied', t0 + 60);
  assert.equal(denied.state.active, 'file');
  assert.equal(denied.state.api, 'denied');
  assert.equal(offered(denied), 'v1');
});

test('a mounted version the API delivered earlier is held back, not applied over a newer one', () => {
  const f = createFallback({ graceMs: grace, kubeletLagMs: lag }, t0);
  f.apiListed(v('v1'), t0);
  f.fileChanged(v('v1'), t0 + 50);
  f.apiChanged(v('v2'), t0 + 200_000);
  f.apiFailed('watch closed', 'unreachable', t0 + 201_000);
  const fallen = f.tick(t0 + 211_000);
  assert.equal(fallen.state.active, 'file');
  assert.equal(offered(fallen), undefined, 'v1 is older than v2');
  assert.equal(fallen.state.heldBack?.hash, hashOf('v1'));
  assert.match(fallen.state.heldBack?.reason ?? '', /may be older than what runs \(the newest from the API is [0-9a-f]{12}\)/);
  // The kubelet catches up with the API: nothing to do, and nothing held back any more.
  const caughtUp = f.fileChanged(v('v2'), t0 + 260_000);
  assert.equal(offered(caughtUp), undefined);
  assert.equal(caughtUp.state.heldBack, undefined);
  // A version the API never delivered came after it failed.
  assert.equal(offered(f.fileChanged(v('v3'), t0 + 320_000)), 'v3');
  assert.equal(offered(f.fileChanged(v('v4'), t0 + 380_000)), 'v4');
});

test('a flapping member: a hash the API delivered before is held back even when it returns', () => {
  const f = createFallback({ graceMs: grace, kubeletLagMs: lag }, t0);
  f.apiListed(v('A'), t0);
  f.apiChanged(v('B'), t0 + 200_000);
  f.apiChanged(v('A'), t0 + 201_000);
  f.fileChanged(v('B'), t0 + 210_000);
  f.apiFailed('watch closed', 'unreachable', t0 + 220_000);
  const fallen = f.tick(t0 + 230_000);
  assert.equal(offered(fallen), undefined, 'B is older than the second A');
  assert.equal(fallen.state.heldBack?.hash, hashOf('B'));
  assert.equal(offered(f.fileChanged(v('A'), t0 + 300_000)), undefined, 'A is what runs');
  assert.equal(offered(f.fileChanged(v('C'), t0 + 400_000)), 'C');
  // After C the mount shows B again. It could be a third flap or an old copy; it waits.
  assert.equal(offered(f.fileChanged(v('B'), t0 + 500_000)), undefined);
});

test('versions the first list skipped: the mount at the list, and what appears within the kubelet lag, count as older', () => {
  const f = createFallback({ graceMs: grace, kubeletLagMs: lag }, t0);
  // The pod mounted v1; v2 and v3 were stored before the agent listed, and the list shows v3.
  f.fileChanged(v('v1'), t0);
  f.apiListed(v('v3'), t0 + 1_000);
  f.apiFailed('EOF', 'unreachable', t0 + 2_000);
  assert.equal(f.tick(t0 + 12_000).state.heldBack?.hash, hashOf('v1'));
  // The kubelet then writes v2, which the API never delivered: within the lag, so not trusted.
  const skipped = f.fileChanged(v('v2'), t0 + 30_000);
  assert.equal(offered(skipped), undefined);
  assert.equal(skipped.state.heldBack?.hash, hashOf('v2'));
  // Past the lag the kubelet writes only what it learned after the list: v4 is newer than v3.
  assert.equal(offered(f.fileChanged(v('v4'), t0 + 1_000 + lag)), 'v4');
});

test('when a list succeeds again the API is followed at once and its version applied', () => {
  const f = createFallback({ graceMs: grace, kubeletLagMs: 0 }, t0);
  f.apiListed(v('v1'), t0);
  f.apiFailed('EOF', 'unreachable', t0 + 1_000);
  f.tick(t0 + 11_000);
  assert.equal(offered(f.fileChanged(v('v2'), t0 + 20_000)), 'v2');
  const back = f.apiListed(v('v3'), t0 + 30_000);
  assert.equal(offered(back), 'v3');
  assert.deepEqual(back.state, { active: 'api', api: 'connected', since: new Date(t0 + 30_000).toISOString() });
  // The API is the truth even when it says what the files said: no rollback, no held back.
  assert.equal(offered(f.fileChanged(v('v3'), t0 + 40_000)), undefined);
  // A list without the ConfigMap switches back too, but leaves what runs alone.
  f.apiFailed('EOF', 'unreachable', t0 + 50_000);
  f.tick(t0 + 60_000);
  assert.equal(offered(f.fileChanged(v('v4'), t0 + 70_000)), 'v4');
  const empty = f.apiListed(undefined, t0 + 80_000);
  assert.equal(offered(empty), undefined);
  assert.equal(empty.state.active, 'api');
});

test('the remembered hashes are bounded, the mounted one at each list kept young', () => {
  const f = createFallback({ graceMs: grace, kubeletLagMs: 0, maxKnown: 3 }, t0);
  f.fileChanged(v('old'), t0);
  f.apiListed(v('a'), t0 + 1);
  for (const [i, name] of ['b', 'c', 'd', 'e'].entries()) f.apiChanged(v(name), t0 + 2 + i);
  // 'old' and 'a' are forgotten; a relist re-adds the mounted 'old'.
  f.apiListed(v('e'), t0 + 10);
  f.apiFailed('EOF', 'unreachable', t0 + 20);
  assert.equal(f.tick(t0 + 20 + grace).state.heldBack?.hash, hashOf('old'));
});
