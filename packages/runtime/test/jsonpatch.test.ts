import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyJsonPatch, diffJsonPatch, jsonEqual } from '../src/jsonpatch.js';

describe('JSON patch from a diff', () => {
  it('adds, replaces and removes fields with escaped pointers', () => {
    const before = { metadata: { labels: { 'a/b': '1', 'c~d': '2' } }, spec: { replicas: 1, old: true } };
    const after = { metadata: { labels: { 'a/b': '2', 'c~d': '2', new: 'x' } }, spec: { replicas: 1 } };
    assert.deepEqual(diffJsonPatch(before, after), [
      { op: 'replace', path: '/metadata/labels/a~1b', value: '2' },
      { op: 'add', path: '/metadata/labels/new', value: 'x' },
      { op: 'remove', path: '/spec/old' },
    ]);
  });

  it('diffs arrays of equal length by element and replaces arrays whose length changed', () => {
    assert.deepEqual(diffJsonPatch({ a: [1, 2, 3] }, { a: [1, 5, 3] }), [{ op: 'replace', path: '/a/1', value: 5 }]);
    assert.deepEqual(diffJsonPatch({ a: [1, 2] }, { a: [1, 2, 3] }), [{ op: 'replace', path: '/a', value: [1, 2, 3] }]);
  });

  it('treats a key holding undefined as absent, as JSON does', () => {
    assert.deepEqual(diffJsonPatch({ a: 1, b: undefined }, { a: 1 }), []);
    assert.deepEqual(diffJsonPatch({ a: 1, b: 2 }, { a: 1, b: undefined }), [{ op: 'remove', path: '/b' }]);
  });

  it('treats keys named like Object.prototype members as ordinary keys', () => {
    // Label and annotation maps are user data: `toString` or `__proto__` may be a key.
    assert.deepEqual(diffJsonPatch({ toString: 'x' }, {}), [{ op: 'remove', path: '/toString' }]);
    assert.deepEqual(diffJsonPatch({}, { valueOf: 1 }), [{ op: 'add', path: '/valueOf', value: 1 }]);
    const withProto = JSON.parse('{"__proto__": {"a": 1}}') as Record<string, unknown>;
    const patched = applyJsonPatch({}, diffJsonPatch({}, withProto)) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(patched), Object.prototype, 'the prototype is never replaced');
    assert.ok(Object.hasOwn(patched, '__proto__'));
    assert.ok(jsonEqual(patched, withProto));
    assert.throws(() => applyJsonPatch({}, [{ op: 'remove', path: '/constructor' }]), /does not exist/);
  });

  it('is empty for equal documents', () => {
    assert.deepEqual(diffJsonPatch({ a: { b: [1, { c: 'd' }] } }, { a: { b: [1, { c: 'd' }] } }), []);
  });

  it('turns any document into any other (property)', () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(json, json, (a, b) => {
        const patched = applyJsonPatch(a, diffJsonPatch(a, b));
        return jsonEqual(patched, b);
      }),
      { numRuns: 300 },
    );
  });
});
