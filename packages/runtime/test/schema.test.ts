import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { analyzeSchema, anyValue, goDuration, intOrString, NonStructuralSchemaError, openAPISchema } from '../src/schema.js';

function problemsOf(schema: z.ZodType): string[] {
  return analyzeSchema(schema, 'spec').problems.map((p) => `${p.path}: ${p.message}`);
}

function assertProblem(schema: z.ZodType, pattern: RegExp): void {
  const found = problemsOf(schema);
  assert.ok(found.some((m) => pattern.test(m)), `expected a problem matching ${pattern}, got:\n${found.join('\n') || '(none)'}`);
}

describe('zod → structural OpenAPI schema', () => {
  it('converts descriptions, defaults, enums, bounds, formats and CEL rules', () => {
    const schema = z
      .object({
        size: z.enum(['s', 'm']).default('s').describe('Size.'),
        count: z.number().int().min(0).max(10),
        ratio: z.number().gt(0).lt(1),
        when: z.iso.datetime().optional(),
        contact: z.email().optional(),
        id: z.uuid().optional(),
        nick: z.string().nullable().optional(),
      })
      .meta({ 'x-kubernetes-validations': [{ rule: 'self.count > 0 || self.size == "s"', message: 'm needs a count' }] });
    assert.deepEqual(openAPISchema(schema, 'spec'), {
      type: 'object',
      properties: {
        size: { default: 's', description: 'Size.', type: 'string', enum: ['s', 'm'] },
        count: { type: 'integer', minimum: 0, maximum: 10 },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
        when: { type: 'string', format: 'date-time' },
        contact: { type: 'string', format: 'email' },
        id: { type: 'string', format: 'uuid' },
        nick: { nullable: true, type: 'string' },
      },
      required: ['count', 'ratio'],
      'x-kubernetes-validations': [{ rule: 'self.count > 0 || self.size == "s"', message: 'm needs a count' }],
    });
  });

  it('emits the Kubernetes extensions for the helper types', () => {
    assert.deepEqual(
      openAPISchema(z.object({ port: intOrString(), raw: anyValue(), timeout: goDuration() })),
      {
        type: 'object',
        properties: {
          port: { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
          raw: { 'x-kubernetes-preserve-unknown-fields': true },
          timeout: { type: 'string', pattern: '^(0|-?([0-9]+(\\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$', format: 'duration' },
        },
        required: ['port', 'raw', 'timeout'],
      },
    );
  });

  it('turns a key pattern on a record into a CEL rule, since CRDs have no propertyNames', () => {
    const out = openAPISchema(z.record(z.string().regex(/^[a-z]+$/), z.string()));
    assert.deepEqual(out, {
      type: 'object',
      additionalProperties: { type: 'string' },
      'x-kubernetes-validations': [{ rule: 'self.all(k, k.matches("^[a-z]+$"))', message: 'every key must match ^[a-z]+$' }],
    });
  });

  it('rejects checks that would only run in the client, naming the field', () => {
    assertProblem(z.object({ a: z.string().refine((s) => s !== 'x') }), /^spec\.a: \.refine\(\)/);
    assertProblem(z.object({ a: z.string().transform((s) => s.length) }), /^spec\.a: \.transform\(\)/);
    assertProblem(z.object({ a: z.coerce.number() }), /^spec\.a: z\.coerce/);
    assertProblem(z.object({ a: z.string().trim() }), /^spec\.a: \.trim\(\)/);
    assertProblem(z.object({ a: z.object({ b: z.number() }).superRefine(() => undefined) }), /^spec\.a: \.refine\(\)/);
  });

  it('rejects what JSON cannot carry and what CRDs cannot express', () => {
    assertProblem(z.object({ at: z.date() }), /^spec\.at: .*z\.iso\.datetime/);
    assertProblem(z.object({ v: z.union([z.string(), z.number()]) }), /^spec\.v: "type" is not allowed inside/);
    assertProblem(z.object({ v: z.unknown() }), /^spec\.v: node has no type/);
    assertProblem(z.object({ t: z.tuple([z.string(), z.number()]) }), /^spec\.t/);
    assertProblem(z.object({ d: z.iso.duration() }), /^spec\.d: pattern .* lookaround/);
    const node = z.object({ name: z.string(), get children(): z.ZodOptional<z.ZodArray<typeof node>> { return z.array(node).optional(); } });
    assertProblem(node, /\$ref/);
  });

  it('throws one error listing every problem', () => {
    const bad = z.object({ a: z.string().refine(() => true), b: z.date() });
    assert.throws(
      () => openAPISchema(bad, 'spec'),
      (e: unknown) => e instanceof NonStructuralSchemaError && e.problems.length === 2 && /spec\.a/.test(e.message) && /spec\.b/.test(e.message),
    );
  });
});
