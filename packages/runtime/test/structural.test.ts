import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintStructural, normalizeSchema, re2Incompatibility } from '../src/structural.js';

function messages(schema: unknown): string[] {
  return lintStructural(schema).map((p) => `${p.path}: ${p.message}`);
}

function assertRejects(schema: unknown, pathAndWords: RegExp): void {
  const found = messages(schema);
  assert.ok(found.some((m) => pathAndWords.test(m)), `expected a problem matching ${pathAndWords}, got:\n${found.join('\n') || '(none)'}`);
}

describe('structural schema linter', () => {
  it('accepts a structural schema', () => {
    const ok = {
      type: 'object',
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 10 },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        extra: { 'x-kubernetes-preserve-unknown-fields': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        items: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
        choice: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
      },
      'x-kubernetes-validations': [{ rule: 'self.name != ""', message: 'name is required' }],
    };
    assert.deepEqual(messages(ok), []);
  });

  it('rejects $ref, const, patternProperties and $defs with the path and a hint', () => {
    assertRejects({ type: 'object', properties: { child: { $ref: '#' } } }, /^child: recursive schemas/);
    assertRejects({ type: 'object', properties: { mode: { type: 'string', const: 'a' } } }, /^mode: CRDs forbid const/);
    assertRejects({ type: 'object', patternProperties: { '^x': { type: 'string' } } }, /^<root>: CRDs forbid patternProperties/);
    assertRejects({ type: 'object', $defs: {} }, /\$defs/);
  });

  it('rejects type arrays and untyped nodes', () => {
    assertRejects({ type: 'object', properties: { v: { type: ['string', 'null'] } } }, /^v: type must be a single string/);
    assertRejects({ type: 'object', properties: { v: {} } }, /^v: node has no type/);
    assertRejects({ type: 'object', properties: { list: { type: 'array', items: {} } } }, /^list\[\]: node has no type/);
    assertRejects({ type: 'object', additionalProperties: { description: 'x' } }, /^\.\*: node has no type/);
  });

  it('rejects unions whose branches carry their own types or fields', () => {
    assertRejects({ type: 'object', properties: { v: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } }, /^v: "type" is not allowed inside/);
    assertRejects(
      { type: 'object', properties: { o: { type: 'object', properties: { a: { type: 'string' } }, anyOf: [{ properties: { b: { type: 'string' } } }] } } },
      /^o: field "b" appears only inside a union branch/,
    );
  });

  it('rejects uniqueItems, tuples, boolean additionalProperties and lookaround patterns', () => {
    assertRejects({ type: 'array', items: { type: 'string' }, uniqueItems: true }, /x-kubernetes-list-type": "set"/);
    assertRejects({ type: 'array', items: [{ type: 'string' }] }, /tuples are not structural/);
    assertRejects({ type: 'object', additionalProperties: false }, /not a boolean/);
    assertRejects({ type: 'string', pattern: '^(?!x)' }, /lookaround/);
    assertRejects({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }, /mutually exclusive/);
  });

  it('checks list-type map keys and CEL rule shape', () => {
    assertRejects({ type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object' } }, /needs x-kubernetes-list-map-keys/);
    assertRejects(
      { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } },
      /list map key "name" must be required or have a default/,
    );
    assertRejects({ type: 'object', 'x-kubernetes-validations': [{ message: 'no rule' }] }, /needs a non-empty rule/);
  });
});

describe('structural normalization', () => {
  it('strips the ±2^53 integer bounds zod adds, keeps real bounds', () => {
    const out = normalizeSchema({ type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 });
    assert.deepEqual(out, { type: 'integer' });
    assert.deepEqual(normalizeSchema({ type: 'integer', minimum: 1, maximum: 9007199254740991 }), { type: 'integer', minimum: 1 });
  });

  it('turns strict objects into plain ones and loose objects into preserve-unknown-fields', () => {
    assert.deepEqual(normalizeSchema({ type: 'object', properties: {}, additionalProperties: false }), { type: 'object', properties: {} });
    assert.deepEqual(normalizeSchema({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: {} }), {
      type: 'object',
      properties: { a: { type: 'string' } },
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  it('rewrites int-or-string to the one form the apiserver accepts', () => {
    const zodForm = { anyOf: [{ type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
    assert.deepEqual(normalizeSchema(zodForm), { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
  });

  it('collapses a union of literals into an enum and drops repeated types in allOf', () => {
    assert.deepEqual(normalizeSchema({ description: 'd', anyOf: [{ type: 'string', enum: ['a'] }, { type: 'string', enum: ['b'] }] }), {
      description: 'd',
      type: 'string',
      enum: ['a', 'b'],
    });
    assert.deepEqual(normalizeSchema({ type: 'string', allOf: [{ type: 'string', pattern: 'a' }, { type: 'string', pattern: 'b' }] }), {
      type: 'string',
      allOf: [{ pattern: 'a' }, { pattern: 'b' }],
    });
  });

  it('does not modify its input', () => {
    const input = { type: 'integer', minimum: -9007199254740991 };
    normalizeSchema(input);
    assert.deepEqual(input, { type: 'integer', minimum: -9007199254740991 });
  });
});

describe('RE2 compatibility', () => {
  it('names the construct RE2 lacks', () => {
    assert.equal(re2Incompatibility('^[a-z]+$'), undefined);
    assert.equal(re2Incompatibility('(?<name>x)'), undefined);
    assert.equal(re2Incompatibility('^(?=a)'), 'lookaround');
    assert.equal(re2Incompatibility('(?<!a)b'), 'lookaround');
    assert.equal(re2Incompatibility('(a)\\1'), 'a backreference');
  });
});
