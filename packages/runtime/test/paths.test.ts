import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourcePath } from '../src/client.js';
import { stripManagedFields } from '../src/informer.js';
import { ConfigMap, CustomResourceDefinition, Deployment, Namespace } from '../src/kinds.js';

describe('resourcePath', () => {
  it('builds core, group, namespaced and cluster-scoped paths', () => {
    assert.equal(resourcePath(ConfigMap), '/api/v1/configmaps');
    assert.equal(resourcePath(ConfigMap, { namespace: 'a' }), '/api/v1/namespaces/a/configmaps');
    assert.equal(resourcePath(Deployment, { namespace: 'a', name: 'web', subresource: 'status' }), '/apis/apps/v1/namespaces/a/deployments/web/status');
    assert.equal(resourcePath(Namespace, { namespace: 'ignored', name: 'a' }), '/api/v1/namespaces/a');
    assert.equal(resourcePath(CustomResourceDefinition, { name: 'x.y.z' }), '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.y.z');
  });

  it('escapes names', () => {
    assert.equal(resourcePath(ConfigMap, { namespace: 'a', name: 'x/../y' }), '/api/v1/namespaces/a/configmaps/x%2F..%2Fy');
  });
});

describe('stripManagedFields', () => {
  it('drops managedFields and the last-applied annotation, keeps everything else', () => {
    const input = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'x',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}', keep: 'me' },
      },
      data: { a: 'b' },
    };
    const out = stripManagedFields(input);
    assert.deepEqual(out, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { keep: 'me' } }, data: { a: 'b' } });
    assert.ok(input.metadata.managedFields, 'the input is not mutated');
  });

  it('returns objects without noise unchanged', () => {
    const input = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
    assert.equal(stripManagedFields(input), input);
  });
});
