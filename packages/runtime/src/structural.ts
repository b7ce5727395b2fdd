// A CRD's schema must be *structural* (apiextensions.k8s.io/v1 rejects anything else): every node
// says its type, junctors (allOf/anyOf/oneOf/not) only add value checks to fields declared
// outside them, and JSON-Schema features the apiserver cannot prune against ($ref, const,
// patternProperties, type arrays) are absent. Generators such as zod emit plain JSON Schema, so
// this file has two pure passes over it: `normalizeSchema` rewrites the constructs that have a
// structural equivalent, and `lintStructural` reports what is left, with the field path, so the
// author sees the problem at generation time instead of as an apiserver rejection at install.

/** A CEL rule as the apiserver evaluates it (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

/** apiextensions.k8s.io/v1 JSONSchemaProps: the subset of OpenAPI v3 a CRD accepts. */
export interface JSONSchemaProps {
  type?: SchemaType;
  description?: string;
  title?: string;
  format?: string;
  default?: unknown;
  example?: unknown;
  enum?: unknown[];
  nullable?: boolean;
  maximum?: number;
  minimum?: number;
  exclusiveMaximum?: boolean;
  exclusiveMinimum?: boolean;
  multipleOf?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  items?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  'x-kubernetes-validations'?: CelRule[];
}

/** One thing wrong with a schema, at a field path such as `spec.ports[].port`. */
export interface SchemaProblem {
  path: string;
  message: string;
}

type Json = Record<string, unknown>;

const ALLOWED_KEYS = new Set<string>([
  'type', 'description', 'title', 'format', 'default', 'example', 'enum', 'nullable',
  'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'multipleOf',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems',
  'maxProperties', 'minProperties', 'required', 'items', 'properties', 'additionalProperties',
  'allOf', 'anyOf', 'oneOf', 'not', 'externalDocs',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type', 'x-kubernetes-validations',
]);

const TYPES = new Set<string>(['object', 'array', 'string', 'integer', 'number', 'boolean']);

// What each forbidden keyword usually means in a zod schema, so the message says what to change.
const FORBIDDEN_HINTS: Record<string, string> = {
  $ref: 'recursive schemas and schemas registered with an id become $ref, which CRDs forbid; inline the type or cut the recursion',
  $defs: 'schemas registered with an id become $defs, which CRDs forbid; remove the id from .meta()',
  definitions: 'CRDs forbid definitions; inline the type',
  const: 'CRDs forbid const; use an enum with one value (z.literal or z.enum)',
  patternProperties: 'CRDs forbid patternProperties; use a record with a CEL rule on its keys',
  propertyNames: 'CRDs forbid propertyNames; constrain keys with a CEL rule such as self.all(k, k.matches(...))',
  prefixItems: 'tuples are not structural; use an object with named fields',
  additionalItems: 'tuples are not structural; use an object with named fields',
  dependencies: 'CRDs forbid dependencies; use a CEL rule',
  $schema: 'CRDs forbid $schema',
  id: 'CRDs forbid id; remove the id from .meta()',
  $id: 'CRDs forbid $id; remove the id from .meta()',
};

// zod marks every int with ±(2^53−1) bounds; they say nothing the apiserver's int64 does not and
// would leak into every CRD as noise.
const SAFE_INT = Number.MAX_SAFE_INTEGER;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function childPath(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

/**
 * Rewrites JSON Schema constructs that have a structural CRD equivalent; leaves everything else
 * for `lintStructural` to report. Pure: the input is not modified.
 */
export function normalizeSchema(input: unknown): JSONSchemaProps {
  return normalizeNode(input) as JSONSchemaProps;
}

// One key order for every node (what the reader looks for first, nested schemas last), so the
// generated YAML reads the same whatever order the generator emitted.
const KEY_ORDER = [
  'description', 'type', 'format', 'nullable', 'default', 'enum', 'example',
  'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties',
  'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
  'required', 'properties', 'additionalProperties', 'items', 'allOf', 'anyOf', 'oneOf', 'not',
  'x-kubernetes-validations',
];
const KEY_RANK = new Map(KEY_ORDER.map((k, i) => [k, i]));

function ordered(node: Json): Json {
  const keys = Object.keys(node).sort((a, b) => (KEY_RANK.get(a) ?? KEY_ORDER.length) - (KEY_RANK.get(b) ?? KEY_ORDER.length));
  return Object.fromEntries(keys.map((k) => [k, node[k]]));
}

function normalizeNode(input: unknown): unknown {
  return isObject(input) ? ordered(rewrite(input)) : input;
}

function rewrite(input: Json): Json {
  const node: Json = { ...input };

  if (node.type === 'integer') {
    if (node.minimum === -SAFE_INT) delete node.minimum;
    if (node.maximum === SAFE_INT) delete node.maximum;
  }

  if (isObject(node.properties)) {
    const props: Json = {};
    for (const [k, v] of Object.entries(node.properties)) props[k] = normalizeNode(v);
    node.properties = props;
  }
  if (node.items !== undefined) node.items = normalizeNode(node.items);

  // `additionalProperties: false` (zod's strictObject) is forbidden next to properties; the
  // apiserver prunes unknown fields anyway. An empty schema (looseObject) means "keep unknown
  // fields", which CRDs spell x-kubernetes-preserve-unknown-fields.
  const ap = node.additionalProperties;
  if (ap === false) delete node.additionalProperties;
  else if ((ap === true || (isObject(ap) && Object.keys(ap).length === 0)) && 'properties' in node) {
    delete node.additionalProperties;
    node['x-kubernetes-preserve-unknown-fields'] = true;
  } else if (ap !== undefined && ap !== true) node.additionalProperties = normalizeNode(ap);

  if (node['x-kubernetes-int-or-string'] === true) {
    // The one anyOf form the apiserver accepts for int-or-string, whatever the generator emitted.
    delete node.type;
    delete node.oneOf;
    node.anyOf = [{ type: 'integer' }, { type: 'string' }];
    return node;
  }

  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[j];
    if (!Array.isArray(branches)) continue;
    const normalized = branches.map((b) => normalizeNode(b));
    const collapsed = j === 'anyOf' || j === 'oneOf' ? collapseEnumUnion(normalized) : undefined;
    if (collapsed) {
      delete node[j];
      Object.assign(node, { ...collapsed, ...stripUndefined({ description: node.description, default: node.default }) });
      continue;
    }
    node[j] = normalized.map((b) => stripBranchType(b, node.type));
  }
  if (node.not !== undefined) node.not = stripBranchType(normalizeNode(node.not), node.type);
  return node;
}

function stripUndefined(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

// A union of literals (z.union([z.literal('a'), z.literal('b')])) is an enum of one type.
function collapseEnumUnion(branches: unknown[]): Json | undefined {
  let type: unknown;
  const values: unknown[] = [];
  for (const b of branches) {
    if (!isObject(b) || !Array.isArray(b.enum)) return undefined;
    const keys = Object.keys(b).filter((k) => k !== 'enum' && k !== 'type');
    if (keys.length > 0) return undefined;
    if (type !== undefined && b.type !== type) return undefined;
    type = b.type;
    values.push(...b.enum);
  }
  if (type === undefined || values.length === 0) return undefined;
  return { type, enum: values };
}

// Several zod checks on one value (two regexes) come out as allOf branches that repeat the
// outer type; inside a junctor the type is forbidden, and redundant.
function stripBranchType(branch: unknown, outerType: unknown): unknown {
  if (!isObject(branch) || outerType === undefined || branch.type !== outerType) return branch;
  const { type: _type, ...rest } = branch;
  return rest;
}

/**
 * Reports every construct that makes a schema non-structural or that a v1 CRD forbids.
 * An empty list means the apiserver will accept the schema as far as its shape goes.
 */
export function lintStructural(schema: unknown, root = ''): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  lintNode(schema, root, problems, false);
  return problems;
}

function lintNode(input: unknown, path: string, out: SchemaProblem[], inJunctor: boolean): void {
  const at = path === '' ? '<root>' : path;
  if (!isObject(input)) {
    out.push({ path: at, message: `schema must be an object, got ${JSON.stringify(input)}` });
    return;
  }
  const node = input;
  for (const key of Object.keys(node)) {
    if (ALLOWED_KEYS.has(key)) continue;
    const hint = FORBIDDEN_HINTS[key] ?? `keyword "${key}" is not allowed in a CRD schema`;
    out.push({ path: at, message: hint });
  }

  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;

  if (Array.isArray(node.type)) {
    out.push({ path: at, message: `type must be a single string, not ${JSON.stringify(node.type)}; use .nullable() for null, or x-kubernetes-int-or-string for int|string` });
  } else if (node.type !== undefined && (typeof node.type !== 'string' || !TYPES.has(node.type))) {
    out.push({ path: at, message: `unknown type ${JSON.stringify(node.type)}` });
  }

  if (inJunctor) {
    for (const k of ['type', 'description', 'default', 'additionalProperties', 'nullable'] as const) {
      if (k in node) out.push({ path: at, message: `"${k}" is not allowed inside allOf/anyOf/oneOf/not (unions of different types are not structural; use one object with optional fields and a CEL rule)` });
    }
    for (const k of Object.keys(node)) {
      if (k.startsWith('x-kubernetes-')) out.push({ path: at, message: `"${k}" is not allowed inside allOf/anyOf/oneOf/not` });
    }
  } else if (node.type === undefined && !intOrString && !preserve) {
    out.push({ path: at, message: 'node has no type; give it one, or mark it .meta({ "x-kubernetes-preserve-unknown-fields": true }) to accept any value' });
  }

  if (node.uniqueItems === true) {
    out.push({ path: at, message: 'uniqueItems is forbidden in CRDs; use .meta({ "x-kubernetes-list-type": "set" })' });
  }
  if (typeof node.pattern === 'string') {
    const why = re2Incompatibility(node.pattern);
    if (why) out.push({ path: at, message: `pattern ${JSON.stringify(node.pattern)} uses ${why}, which the apiserver's RE2 regex engine does not support` });
  }

  if (intOrString) {
    const ok =
      node.anyOf === undefined ||
      (Array.isArray(node.anyOf) &&
        node.anyOf.length === 2 &&
        node.anyOf.every((b, i) => isObject(b) && Object.keys(b).length === 1 && b.type === (i === 0 ? 'integer' : 'string')));
    if (!ok || node.type !== undefined) out.push({ path: at, message: 'x-kubernetes-int-or-string must have no type and anyOf [{type: integer}, {type: string}] only' });
  }

  lintListType(node, at, out);
  lintRules(node['x-kubernetes-validations'], at, out);

  if (node.properties !== undefined) {
    if (!isObject(node.properties)) out.push({ path: at, message: 'properties must be an object' });
    else {
      if (!inJunctor && node.type !== undefined && node.type !== 'object') out.push({ path: at, message: `properties on a node of type ${String(node.type)}` });
      if (node.additionalProperties !== undefined) out.push({ path: at, message: 'properties and additionalProperties are mutually exclusive in CRDs' });
      for (const [k, v] of Object.entries(node.properties)) lintNode(v, childPath(path, k), out, inJunctor);
    }
  }
  if (node.additionalProperties !== undefined) {
    if (typeof node.additionalProperties === 'boolean') {
      out.push({ path: at, message: 'additionalProperties must be a schema, not a boolean' });
    } else lintNode(node.additionalProperties, `${path}.*`, out, inJunctor);
  }
  if (node.items !== undefined) {
    if (Array.isArray(node.items)) out.push({ path: at, message: 'items must be one schema (tuples are not structural)' });
    else lintNode(node.items, `${path}[]`, out, inJunctor);
  } else if (node.type === 'array' && !inJunctor) {
    out.push({ path: at, message: 'array without items' });
  }

  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[j];
    if (branches === undefined) continue;
    if (!Array.isArray(branches)) {
      out.push({ path: at, message: `${j} must be a list` });
      continue;
    }
    if (intOrString && j === 'anyOf') continue;
    for (const b of branches) {
      lintNode(b, path, out, true);
      lintJunctorFields(b, node, at, out);
    }
  }
  if (node.not !== undefined) {
    lintNode(node.not, path, out, true);
    lintJunctorFields(node.not, node, at, out);
  }
}

// Inside a junctor, every property must also be declared outside it: the apiserver prunes by the
// outer schema, so a field only a branch knows would be dropped before the branch ever sees it.
function lintJunctorFields(branch: unknown, outer: Json, at: string, out: SchemaProblem[]): void {
  if (!isObject(branch) || !isObject(branch.properties)) return;
  const known = isObject(outer.properties) ? outer.properties : {};
  for (const k of Object.keys(branch.properties)) {
    if (!(k in known)) out.push({ path: at, message: `field "${k}" appears only inside a union branch; declare it on the object itself (unions of objects are not structural)` });
  }
}

function lintListType(node: Json, at: string, out: SchemaProblem[]): void {
  const lt = node['x-kubernetes-list-type'];
  const keys = node['x-kubernetes-list-map-keys'];
  if (lt === undefined) {
    if (keys !== undefined) out.push({ path: at, message: 'x-kubernetes-list-map-keys needs x-kubernetes-list-type: map' });
    return;
  }
  if (node.type !== 'array') out.push({ path: at, message: 'x-kubernetes-list-type applies to arrays only' });
  if (lt !== 'atomic' && lt !== 'set' && lt !== 'map') out.push({ path: at, message: `x-kubernetes-list-type must be atomic, set or map, not ${JSON.stringify(lt)}` });
  if (lt !== 'map') {
    if (keys !== undefined) out.push({ path: at, message: 'x-kubernetes-list-map-keys needs x-kubernetes-list-type: map' });
    return;
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    out.push({ path: at, message: 'x-kubernetes-list-type: map needs x-kubernetes-list-map-keys' });
    return;
  }
  const items = node.items;
  if (!isObject(items) || items.type !== 'object') {
    out.push({ path: at, message: 'x-kubernetes-list-type: map needs object items' });
    return;
  }
  const props = isObject(items.properties) ? items.properties : {};
  const required = Array.isArray(items.required) ? items.required : [];
  for (const k of keys) {
    if (typeof k !== 'string' || !(k in props)) {
      out.push({ path: at, message: `list map key ${JSON.stringify(k)} is not a field of the items` });
      continue;
    }
    const prop = props[k];
    if (!required.includes(k) && !(isObject(prop) && 'default' in prop)) {
      out.push({ path: at, message: `list map key "${k}" must be required or have a default` });
    }
  }
}

function lintRules(rules: unknown, at: string, out: SchemaProblem[]): void {
  if (rules === undefined) return;
  if (!Array.isArray(rules)) {
    out.push({ path: at, message: 'x-kubernetes-validations must be a list of { rule, message }' });
    return;
  }
  for (const r of rules) {
    if (!isObject(r) || typeof r.rule !== 'string' || r.rule.trim() === '') {
      out.push({ path: at, message: `x-kubernetes-validations entry needs a non-empty rule: ${JSON.stringify(r)}` });
    }
  }
}

/** Why a regex cannot run on RE2 (Go's regexp, which the apiserver uses), or undefined if it can. */
export function re2Incompatibility(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return 'lookaround';
  if (/\\[1-9]/.test(pattern) || /\\k</.test(pattern)) return 'a backreference';
  return undefined;
}
