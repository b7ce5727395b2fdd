import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../src/object.js';
import {
  admits,
  and,
  annotationsChanged,
  deletionChanged,
  generationChanged,
  labelSelectorPredicate,
  labelsChanged,
  not,
  or,
  predicate,
  resourceVersionChanged,
} from '../src/predicates.js';

const obj = (meta: KubeObject['metadata']): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', ...meta } });
const up = (p: Parameters<typeof admits>[0], a: KubeObject, b: KubeObject) => admits(p, { type: 'update', old: a, obj: b });

describe('predicates', () => {
  it('generationChanged drops status-only updates but passes creates and deletes', () => {
    const p = generationChanged();
    assert.equal(up(p, obj({ generation: 1, resourceVersion: '1' }), obj({ generation: 1, resourceVersion: '2' })), false);
    assert.equal(up(p, obj({ generation: 1 }), obj({ generation: 2 })), true);
    assert.equal(admits(p, { type: 'create', obj: obj({}) }), true);
    assert.equal(admits(p, { type: 'delete', obj: obj({}) }), true);
  });

  it('labelsChanged and annotationsChanged compare maps by content', () => {
    assert.equal(up(labelsChanged(), obj({ labels: { a: '1', b: '2' } }), obj({ labels: { b: '2', a: '1' } })), false);
    assert.equal(up(labelsChanged(), obj({ labels: { a: '1' } }), obj({ labels: { a: '2' } })), true);
    assert.equal(up(labelsChanged(), obj({}), obj({ labels: {} })), false);
    assert.equal(up(annotationsChanged(), obj({ annotations: { a: '1' } }), obj({})), true);
  });

  it('resourceVersionChanged drops resyncs; deletionChanged sees deletion and finalizer changes', () => {
    assert.equal(up(resourceVersionChanged(), obj({ resourceVersion: '5' }), obj({ resourceVersion: '5' })), false);
    assert.equal(up(deletionChanged(), obj({}), obj({ deletionTimestamp: '2026-01-01T00:00:00Z' })), true);
    assert.equal(up(deletionChanged(), obj({ finalizers: ['a', 'b'] }), obj({ finalizers: ['a'] })), true);
    assert.equal(up(deletionChanged(), obj({ finalizers: ['a'] }), obj({ finalizers: ['a'] })), false);
  });

  it('label selectors and custom predicates look at the newest object', () => {
    const p = labelSelectorPredicate('app.kubernetes.io/managed-by=tugboat');
    assert.equal(admits(p, { type: 'create', obj: obj({ labels: { 'app.kubernetes.io/managed-by': 'tugboat' } }) }), true);
    assert.equal(admits(p, { type: 'create', obj: obj({}) }), false);
    const named = predicate((o) => o.metadata.name === 'x');
    assert.equal(up(named, obj({ name: 'y' }), obj({ name: 'x' })), true);
  });

  it('and / or / not combine', () => {
    const gen = generationChanged();
    const lab = labelsChanged();
    const a = obj({ generation: 1, labels: { k: '1' } });
    const b = obj({ generation: 1, labels: { k: '2' } });
    assert.equal(up(or(gen, lab), a, b), true);
    assert.equal(up(and(gen, lab), a, b), false);
    assert.equal(up(not(gen), a, b), true);
    assert.equal(admits(not(gen), { type: 'create', obj: a }), false, 'not() of a pass-through create drops it');
  });
});
