import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reviewMutating, type AdmissionReview } from '../src/admission.js';
import { ConfigMap, Namespace } from '../src/kinds.js';
import { shardOf, SHARD_LABEL } from '../src/sharding.js';
import { shardLabeler } from '../src/shardlabels.js';
import type { KubeObject } from '../src/object.js';

function review(obj: KubeObject, operation: 'CREATE' | 'UPDATE' = 'CREATE', uid = 'req-1'): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: obj.kind ?? '' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      operation,
      userInfo: {},
      object: obj,
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      ...(obj.metadata.name ? { name: obj.metadata.name } : {}),
    },
  };
}

function patchOf(r: AdmissionReview): unknown {
  return r.response?.patch === undefined ? undefined : JSON.parse(Buffer.from(r.response.patch, 'base64').toString('utf8'));
}

const cm = (name: string | undefined, labels?: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'apps', ...(name ? { name } : {}), ...(labels ? { labels } : {}), ...extra },
});

describe('shardLabeler', () => {
  const l = shardLabeler(ConfigMap, 4);

  it('labels a new object with the hash shard of namespace/name', async () => {
    const r = await reviewMutating(review(cm('settings')), l.handler);
    assert.equal(r.response?.allowed, true);
    assert.deepEqual(patchOf(r), [{ op: 'add', path: '/metadata/labels', value: { [SHARD_LABEL]: String(shardOf('apps/settings', 4)) } }]);
  });

  it('keeps other labels and adds its own next to them', async () => {
    const r = await reviewMutating(review(cm('settings', { app: 'x' })), l.handler);
    assert.deepEqual(patchOf(r), [{ op: 'add', path: '/metadata/labels/tugboat.dev~1shard', value: String(shardOf('apps/settings', 4)) }]);
  });

  it('leaves a valid pin alone (no patch), and replaces one that names no shard', async () => {
    const pinned = await reviewMutating(review(cm('settings', { [SHARD_LABEL]: '3' }), 'UPDATE'), l.handler);
    assert.equal(pinned.response?.allowed, true);
    assert.equal(pinned.response?.patch, undefined);
    const bad = await reviewMutating(review(cm('settings', { [SHARD_LABEL]: '9' })), l.handler);
    assert.deepEqual(patchOf(bad), [{ op: 'replace', path: '/metadata/labels/tugboat.dev~1shard', value: String(shardOf('apps/settings', 4)) }]);
  });

  it('spreads generateName objects by request uid, deterministically', async () => {
    const shardsSeen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = await reviewMutating(review(cm(undefined, undefined, { generateName: 'job-' }), 'CREATE', `uid-${i}`), l.handler);
      const again = await reviewMutating(review(cm(undefined, undefined, { generateName: 'job-' }), 'CREATE', `uid-${i}`), l.handler);
      assert.deepEqual(patchOf(r), patchOf(again));
      const value = (patchOf(r) as [{ value: Record<string, string> }])[0].value[SHARD_LABEL];
      assert.equal(value, String(shardOf(`uid-${i}`, 4)));
      shardsSeen.add(value ?? '');
    }
    assert.equal(shardsSeen.size, 4, 'all four shards get some');
  });

  it('hashes cluster-scoped objects by name alone', async () => {
    const ns = shardLabeler(Namespace, 3);
    const r = await reviewMutating(review({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }), ns.handler);
    assert.deepEqual(patchOf(r), [{ op: 'add', path: '/metadata/labels', value: { [SHARD_LABEL]: String(shardOf('team-a', 3)) } }]);
  });

  it('registers under its own path and name, so it can sit next to the kind\'s own mutating webhook', () => {
    assert.deepEqual(l.options, { path: '/shard-core-v1-configmaps', name: 'shard.configmaps.core', operations: ['CREATE', 'UPDATE'] });
    const custom = shardLabeler(ConfigMap, 2, { label: 'x.dev/shard', failurePolicy: 'Ignore' });
    assert.equal(custom.options.failurePolicy, 'Ignore');
    assert.equal('label' in custom.options, false);
    assert.throws(() => shardLabeler(ConfigMap, 0));
  });
});
