import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APPLIED_HASH_ANNOTATION, appliedHash, covers, isUpToDate, withAppliedHash } from '../src/applied.js';
import type { ConfigMap, Service } from '../src/kinds.js';

const desired: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
};

// What the apiserver hands back: our fields plus defaults and bookkeeping.
const stored = (d: Service): Service => ({
  ...d,
  metadata: { ...d.metadata, uid: 'u', resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: {
    ...d.spec,
    type: 'ClusterIP',
    clusterIP: '10.0.0.7',
    ports: (d.spec?.ports ?? []).map((p) => ({ ...p, protocol: 'TCP' })),
    sessionAffinity: 'None',
  },
});

describe('applied (skip unchanged applies)', () => {
  it('covers: fields we set must match; extra fields in the actual object are ignored', () => {
    assert.equal(covers({ a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'x', d: 2 }, e: 3 }), true);
    assert.equal(covers({ a: 1 }, { a: 2 }), false);
    assert.equal(covers({ a: [1, 2] }, { a: [1, 2, 3] }), false, 'lists we set are compared whole');
    assert.equal(covers({ a: [{ n: 1 }] }, { a: [{ n: 1, default: true }] }), true);
    assert.equal(covers({ a: null }, {}), true, 'null means absent');
    assert.equal(covers({ a: null }, { a: 1 }), false);
    assert.equal(covers({ a: {} }, { a: 'str' }), false);
  });

  it('covers matches owner references by uid, ignoring references others added', () => {
    const ours = [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'u1', controller: true }];
    assert.equal(covers(ours, [{ apiVersion: 'v1', kind: 'Y', name: 'p', uid: 'u0' }, ...ours]), true);
    assert.equal(covers(ours, [{ ...ours[0], controller: false }]), false);
  });

  it('the hash ignores key order and its own annotation', () => {
    const a = withAppliedHash(desired);
    const reordered: Service = { kind: 'Service', apiVersion: 'v1', spec: { ports: desired.spec?.ports ?? [], selector: { app: 'web' } }, metadata: desired.metadata };
    assert.equal(appliedHash(reordered), a.metadata.annotations?.[APPLIED_HASH_ANNOTATION]);
    assert.equal(appliedHash(a), appliedHash(desired));
    const other: Service = { ...desired, spec: { ...desired.spec, selector: { app: 'api' } } };
    assert.notEqual(appliedHash(other), appliedHash(desired));
  });

  it('a stored object we applied is up to date; drift or a changed desired object is not', () => {
    const d = withAppliedHash(desired);
    assert.equal(isUpToDate(d, stored(d)), true);
    const drifted = stored(d);
    drifted.spec = { ...drifted.spec, selector: { app: 'hand-edited' } };
    assert.equal(isUpToDate(d, drifted), false, 'someone edited a field we own');
    assert.equal(isUpToDate(d, undefined), false, 'absent');
  });

  it('detects a field we stopped setting through the hash', () => {
    const before = withAppliedHash(desired);
    const now = withAppliedHash({ ...desired, metadata: { ...desired.metadata, labels: {} } });
    // The old labels are still stored, so a plain subset compare would call this a match.
    assert.equal(covers({ ...now.metadata, annotations: {} }, stored(before).metadata), true);
    assert.equal(isUpToDate(now, stored(before)), false);
  });

  it('metadata-only caches compare metadata (and so the hash) only', () => {
    const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { k: 'v1' } };
    const applied = withAppliedHash(cm);
    const partial = { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { ...applied.metadata, uid: 'u', resourceVersion: '1' } };
    assert.equal(isUpToDate(applied, partial, { metadataOnly: true }), true);
    const changed = withAppliedHash({ ...cm, data: { k: 'v2' } });
    assert.equal(isUpToDate(changed, partial, { metadataOnly: true }), false, 'a data change shows in the hash');
  });
});
