// A kind's spec and status are written once, as zod schemas. From that one definition come the
// TypeScript type (z.output), the client-side check (safeParse), and the OpenAPI schema the
// apiserver enforces. Only what the apiserver can enforce is allowed in the schema: anything zod
// would check in the client alone (.refine, .transform, coercion, trimming) would make the
// client and the cluster disagree about what is valid, so it is rejected here, with the field
// path, and the rule is written as CEL instead (`.meta({ 'x-kubernetes-validations': [...] })`).
import { z } from 'zod';
import {
  lintStructural,
  normalizeSchema,
  type CelRule,
  type JSONSchemaProps,
  type SchemaProblem,
} from './structural.js';

// Typed `.meta()` keys for the Kubernetes extensions, so a misspelt list type or a rule without
// `rule` is a compile error rather than an apiserver rejection.
declare module 'zod' {
  interface GlobalMeta {
    'x-kubernetes-validations'?: CelRule[];
    'x-kubernetes-int-or-string'?: boolean;
    'x-kubernetes-preserve-unknown-fields'?: boolean;
    'x-kubernetes-embedded-resource'?: boolean;
    'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
    'x-kubernetes-list-map-keys'?: string[];
    'x-kubernetes-map-type'?: 'granular' | 'atomic';
  }
}

/** Thrown when a zod schema cannot become a structural CRD schema; lists every problem found. */
export class NonStructuralSchemaError extends Error {
  readonly problems: SchemaProblem[];
  constructor(problems: SchemaProblem[]) {
    super(`schema cannot be used in a CRD:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'NonStructuralSchemaError';
    this.problems = problems;
  }
}

// zod string formats the apiserver checks itself (apiextensions' supported formats). For these the
// apiserver's format check replaces zod's regex, which often uses lookarounds RE2 cannot run.
const KUBE_FORMATS: Record<string, string> = {
  email: 'email',
  url: 'uri',
  uuid: 'uuid',
  guid: 'uuid',
  datetime: 'date-time',
  date: 'date',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  cidrv4: 'cidr',
  cidrv6: 'cidr',
  base64: 'byte',
  hostname: 'hostname',
  mac: 'mac',
};

// The slice of zod's internal definition this file reads. zod 4 documents `_zod.def` as the
// introspection surface; the version is pinned because of it.
interface ZodDefView {
  type: string;
  format?: string;
  coerce?: boolean;
  checks?: { _zod: { def: { check: string; format?: string; pattern?: RegExp } } }[];
  keyType?: { _zod: { def: ZodDefView } };
  in?: { _zod: { def: ZodDefView } };
  out?: { _zod: { def: ZodDefView } };
}

function defOf(schema: unknown): ZodDefView {
  return (schema as { _zod: { def: ZodDefView } })._zod.def;
}

/** `['properties', 'ports', 'items', 'properties', 'port']` → `spec.ports[].port`. */
function fieldPath(root: string, path: readonly (string | number)[]): string {
  let out = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (seg === 'properties') {
      const name = String(path[++i]);
      out = out === '' ? name : `${out}.${name}`;
    } else if (seg === 'items') out += '[]';
    else if (seg === 'additionalProperties') out += '.*';
    else if (seg === 'anyOf' || seg === 'oneOf' || seg === 'allOf') i++;
  }
  return out === '' ? '<root>' : out;
}

function clientOnlyReason(def: ZodDefView): string | undefined {
  if (def.type === 'pipe' || def.type === 'transform') {
    return '.transform()/.preprocess()/.pipe() run only in the client; the apiserver stores what was sent. Validate the stored shape and convert in your code';
  }
  if (def.type === 'catch') return '.catch() accepts invalid input in the client only';
  if (def.coerce) return 'z.coerce accepts values the apiserver would reject; use the exact type';
  for (const c of def.checks ?? []) {
    const check = c._zod.def.check;
    if (check === 'custom') {
      return '.refine()/.superRefine()/.check() never reach the apiserver; write the rule as CEL: .meta({ "x-kubernetes-validations": [{ rule, message }] })';
    }
    if (check === 'overwrite') {
      return '.trim()/.toLowerCase()/.overwrite() change the value in the client only; the apiserver stores what was sent';
    }
  }
  return undefined;
}

function recordKeyRules(def: ZodDefView): CelRule[] {
  if (def.type !== 'record' || !def.keyType) return [];
  const rules: CelRule[] = [];
  for (const c of def.keyType._zod.def.checks ?? []) {
    const { check, format, pattern } = c._zod.def;
    if (check === 'string_format' && format === 'regex' && pattern) {
      // JSON string escaping is valid CEL double-quoted string escaping for \ and ".
      rules.push({ rule: `self.all(k, k.matches(${JSON.stringify(pattern.source)}))`, message: `every key must match ${pattern.source}` });
    }
  }
  return rules;
}

/** The structural schema and the problems found, without throwing (for linters and tests). */
export function analyzeSchema(schema: z.ZodType, root = ''): { schema: JSONSchemaProps; problems: SchemaProblem[] } {
  const problems: SchemaProblem[] = [];
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    // Input, not output: the apiserver sees what users write, where defaulted fields are optional.
    io: 'input',
    reused: 'inline',
    cycles: 'ref', // a cycle becomes $ref, which the linter reports with the field path
    unrepresentable: (ctx) => {
      problems.push({ path: fieldPath(root, ctx.path), message: `${ctx.message} (use a JSON type: z.iso.datetime() for dates, z.number()/z.string() for big numbers)` });
      // A placeholder the linter accepts, so the problem is reported once, here.
      return { 'x-kubernetes-preserve-unknown-fields': true };
    },
    override: (ctx) => {
      const def = defOf(ctx.zodSchema);
      const reason = clientOnlyReason(def);
      if (reason) problems.push({ path: fieldPath(root, ctx.path), message: reason });
      const node = ctx.jsonSchema as Record<string, unknown>;
      if (def.type === 'string' && def.format !== undefined) {
        const kube = KUBE_FORMATS[def.format];
        if (kube !== undefined) {
          node.format = kube;
          delete node.pattern;
        } else delete node.format;
      }
      const keyRules = recordKeyRules(def);
      if (keyRules.length > 0) {
        const existing = (node['x-kubernetes-validations'] as CelRule[] | undefined) ?? [];
        node['x-kubernetes-validations'] = [...existing, ...keyRules];
      }
    },
  });
  const normalized = normalizeSchema(json);
  problems.push(...lintStructural(normalized, root));
  const sorted = dedupe(problems).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { schema: normalized, problems: sorted };
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\n${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The structural OpenAPI v3 schema for a zod schema; throws NonStructuralSchemaError. */
export function openAPISchema(schema: z.ZodType, root = ''): JSONSchemaProps {
  const { schema: out, problems } = analyzeSchema(schema, root);
  if (problems.length > 0) throw new NonStructuralSchemaError(problems);
  return out;
}

/** A field-level validation failure, with a path such as `spec.ports[0].port`. */
export interface FieldIssue {
  path: string;
  message: string;
}

export function issuePath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out = out === '' ? String(seg) : `${out}.${String(seg)}`;
  }
  return out;
}

export function issuesOf(error: z.ZodError, root: string): FieldIssue[] {
  return error.issues.map((i) => ({ path: issuePath(root, i.path), message: i.message }));
}

/** An int or a string, as Kubernetes ports and percentages are (`x-kubernetes-int-or-string`). */
export function intOrString(): z.ZodUnion<readonly [z.ZodNumber, z.ZodString]> {
  return z.union([z.number().int(), z.string()]).meta({ 'x-kubernetes-int-or-string': true });
}

/** Any JSON value, kept as written (`x-kubernetes-preserve-unknown-fields`). */
export function anyValue(): z.ZodUnknown {
  return z.unknown().meta({ 'x-kubernetes-preserve-unknown-fields': true });
}

/** A Go duration such as `1m30s`, as the apiserver's `duration` format parses it. */
export function goDuration(): z.ZodString {
  return z
    .string()
    .regex(/^(0|-?([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$/)
    .meta({ format: 'duration' });
}
