import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigMap } from '../src/kinds.js';
import type { KubeObject } from '../src/object.js';
import { AlreadyOwnedError, controllerOf, isOwnedBy, removeOwnerReference, setControllerReference, setOwnerReference } from '../src/ownerrefs.js';

const owner: KubeObject = { apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', metadata: { name: 'web', namespace: 'ns', uid: 'u-1' } };
const child: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-cfg', namespace: 'ns' }, data: { a: '1' } };

describe('owner references', () => {
  it('sets a controller reference with blockOwnerDeletion, without touching the input', () => {
    const out = setControllerReference(owner, child);
    assert.deepEqual(out.metadata.ownerReferences, [
      { apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', name: 'web', uid: 'u-1', controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(child.metadata.ownerReferences, undefined);
    assert.deepEqual(out.data, { a: '1' });
    assert.equal(controllerOf(out)?.name, 'web');
    assert.equal(isOwnedBy(out, owner), true);
  });

  it('is idempotent, and an owner at another version counts as the same owner', () => {
    const once = setControllerReference(owner, child);
    const twice = setControllerReference({ ...owner, apiVersion: 'lb.tugboat.dev/v1beta1' }, once);
    assert.equal(twice.metadata.ownerReferences?.length, 1);
    assert.equal(twice.metadata.ownerReferences?.[0]?.apiVersion, 'lb.tugboat.dev/v1beta1');
  });

  it('refuses to take an object another controller controls', () => {
    const other = { ...owner, metadata: { ...owner.metadata, name: 'other', uid: 'u-2' } };
    const owned = setControllerReference(other, child);
    assert.throws(() => setControllerReference(owner, owned), AlreadyOwnedError);
  });

  it('refuses cross-namespace owners and owners that were never stored', () => {
    assert.throws(() => setControllerReference(owner, { ...child, metadata: { ...child.metadata, namespace: 'elsewhere' } }), /same namespace/);
    assert.throws(() => setControllerReference({ ...owner, metadata: { name: 'web', namespace: 'ns' } }, child), /no uid/);
  });

  it('a cluster-scoped owner may own namespaced objects', () => {
    const cluster: KubeObject = { apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'IPPool', metadata: { name: 'pool', uid: 'u-9' } };
    assert.equal(setControllerReference(cluster, child).metadata.ownerReferences?.[0]?.kind, 'IPPool');
  });

  it('adds and removes plain owner references alongside a controller', () => {
    const other: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns', uid: 'u-3' } };
    const both = setOwnerReference(other, setControllerReference(owner, child));
    assert.equal(both.metadata.ownerReferences?.length, 2);
    assert.equal(both.metadata.ownerReferences?.[1]?.controller, undefined);
    const back = removeOwnerReference(other, both);
    assert.deepEqual(back.metadata.ownerReferences?.map((r) => r.name), ['web']);
  });
});
