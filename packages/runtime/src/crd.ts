// A custom kind is declared once: group, names, and per version a zod schema for spec and status.
// The declaration is at the same time
//   - a `Kind<T>` the client, cache and controllers take (T is inferred from the zod schemas),
//   - the source of the apiextensions.k8s.io/v1 CustomResourceDefinition (`.crd()`), and
//   - a client-side validator (`.validate(obj)`) that reports field paths as the apiserver would.
// Nothing is written twice, so the TypeScript type, the check in the client and the schema the
// apiserver enforces cannot drift apart.
import type { z } from 'zod';
import type { CustomResourceDefinition, CustomResourceDefinitionVersion, WebhookClientConfig } from './kinds.js';
import { apiVersionOf, type Kind, type KubeObject, type ObjectOf } from './object.js';
import { issuesOf, openAPISchema, type FieldIssue } from './schema.js';
import type { CelRule, JSONSchemaProps } from './structural.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** A JSONPath into the object, e.g. `.status.address` or `.status.conditions[?(@.type=="Ready")].status`. */
  jsonPath: string;
  description?: string;
  format?: string;
  /** 0 shows in `kubectl get`; higher only with `-o wide`. */
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface VersionDefinition<
  N extends string = string,
  Spec extends z.ZodType = z.ZodType,
  Status extends z.ZodType = z.ZodType,
> {
  name: N;
  /** Whether the apiserver serves this version; default true. */
  served?: boolean;
  /** Exactly one version is stored in etcd; a kind with a single version stores it by default. */
  storage?: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  spec: Spec;
  status?: Status;
  /** The status subresource is on whenever a status schema is given, unless turned off here. */
  subresources?: { status?: boolean; scale?: ScaleSubresource };
  /** Columns for `kubectl get`, after the kind-wide ones. An Age column is appended unless present. */
  printerColumns?: PrinterColumn[];
  /** Fields usable in field selectors (`kubectl get --field-selector spec.class=fast`), e.g. `.spec.class`. */
  selectableFields?: string[];
  /** CEL rules over the whole object (`self` is the object), e.g. on `self.metadata.name`. */
  rules?: CelRule[];
}

export type AnyVersion = VersionDefinition<string, z.ZodType, z.ZodType>;

export interface CustomKindDefinition<Vs extends readonly AnyVersion[]> {
  group: string;
  kind: string;
  plural: string;
  /** Default: the kind in lower case. */
  singular?: string;
  scope: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  /** `kubectl get <category>` lists every kind in it, e.g. `all` or `tugboat`. */
  categories?: string[];
  description?: string;
  /** Columns shared by all versions. */
  printerColumns?: PrinterColumn[];
  versions: Vs;
}

/** A custom object: standard metadata, a spec and an optional status. */
export interface CustomObject<Spec = unknown, Status = unknown> extends KubeObject {
  spec: Spec;
  status?: Status;
}

type StatusOut<V> = V extends { status: infer S extends z.ZodType } ? z.output<S> : never;
type ObjectOfVersion<V> = V extends { spec: infer S extends z.ZodType } ? CustomObject<z.output<S>, StatusOut<V>> : never;
type StorageVersion<Vs extends readonly AnyVersion[]> = [Extract<Vs[number], { storage: true }>] extends [never]
  ? Vs[0]
  : Extract<Vs[number], { storage: true }>;

/** What creating or applying an object of a kind may omit: everything the schema defaults. */
type InputOfVersion<V> = V extends { spec: infer S extends z.ZodType }
  ? Omit<KubeObject, 'metadata'> & { metadata: KubeObject['metadata']; spec: z.input<S>; status?: V extends { status: infer St extends z.ZodType } ? z.input<St> : never }
  : never;

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

const brand: unique symbol = Symbol.for('tugboat.dev/custom-kind');

/** One version of a custom kind: a Kind<T> plus its CRD and validator. */
export interface CustomKind<T extends CustomObject = CustomObject, Input = T> extends Kind<T> {
  readonly [brand]: true;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly crdName: string;
  /** The CustomResourceDefinition covering every version of this kind. */
  crd(opts?: CrdOptions): CustomResourceDefinition;
  /** Checks an object against this version's schema; on success `value` has defaults filled in. */
  validate(obj: unknown): ValidationResult<T>;
  /** Builds a typed object of this version (apiVersion and kind filled in), validated. Throws on invalid input. */
  make(obj: { metadata: KubeObject['metadata'] } & Omit<Input, 'apiVersion' | 'kind' | 'metadata'>): T;
  /** The schema of a version's whole object (`openAPIV3Schema`). */
  schema(): JSONSchemaProps;
}

export interface CustomKindWithVersions<Vs extends readonly AnyVersion[]>
  extends CustomKind<ObjectOfVersion<StorageVersion<Vs>>, InputOfVersion<StorageVersion<Vs>>> {
  /** The same kind at another version, e.g. to read v1alpha1 objects while v1 is stored. */
  atVersion<N extends Vs[number]['name']>(
    name: N,
  ): CustomKind<ObjectOfVersion<Extract<Vs[number], { name: N }>>, InputOfVersion<Extract<Vs[number], { name: N }>>>;
  readonly versionNames: readonly Vs[number]['name'][];
}

export interface CrdOptions {
  /** Route conversions between versions to a webhook (see conversion.ts); default strategy None. */
  conversion?: WebhookClientConfig;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The object type of version `N` of a kind declared with versions `Vs`. */
export type ObjectAtVersion<Vs extends readonly AnyVersion[], N extends string> = ObjectOfVersion<Extract<Vs[number], { name: N }>>;

/** The object type of a custom kind, its spec, its status. */
export type SpecOf<K> = ObjectOf<K> extends CustomObject<infer S, unknown> ? S : never;
export type StatusOf<K> = ObjectOf<K> extends CustomObject<unknown, infer S> ? S : never;

export function isCustomKind(v: unknown): v is CustomKind {
  return typeof v === 'object' && v !== null && (v as { [brand]?: unknown })[brand] === true;
}

const dnsLabel = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const kindName = /^[A-Z][A-Za-z0-9]*$/;
const versionName = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;

function checkDefinition(def: CustomKindDefinition<readonly AnyVersion[]>): void {
  const errs: string[] = [];
  if (!def.group.includes('.')) errs.push(`group "${def.group}" must be a DNS name with a dot, e.g. lb.tugboat.dev`);
  if (!kindName.test(def.kind)) errs.push(`kind "${def.kind}" must be CamelCase`);
  if (!dnsLabel.test(def.plural)) errs.push(`plural "${def.plural}" must be a lower-case DNS label`);
  for (const s of def.shortNames ?? []) if (!dnsLabel.test(s)) errs.push(`short name "${s}" must be a lower-case DNS label`);
  if (def.versions.length === 0) errs.push('at least one version is needed');
  const names = new Set<string>();
  for (const v of def.versions) {
    if (!versionName.test(v.name)) errs.push(`version "${v.name}" must look like v1, v1alpha1 or v2beta3`);
    if (names.has(v.name)) errs.push(`version "${v.name}" is declared twice`);
    names.add(v.name);
    if (v.subresources?.scale && v.subresources.status === false) errs.push(`version ${v.name}: the scale subresource needs the status subresource`);
  }
  const storage = def.versions.filter((v) => v.storage === true);
  if (def.versions.length > 1 && storage.length !== 1) errs.push(`exactly one version must have storage: true, found ${storage.length}`);
  if (storage.length > 1 && def.versions.length === 1) errs.push('exactly one version must be stored');
  if (!def.versions.some((v) => v.served !== false)) errs.push('at least one version must be served');
  for (const c of [...(def.printerColumns ?? []), ...def.versions.flatMap((v) => v.printerColumns ?? [])]) {
    if (!c.jsonPath.startsWith('.')) errs.push(`printer column "${c.name}": jsonPath must start with "." (got ${c.jsonPath})`);
  }
  if (errs.length > 0) throw new TypeError(`custom kind ${def.kind}:\n  ${errs.join('\n  ')}`);
}

function isStorage(def: CustomKindDefinition<readonly AnyVersion[]>, v: AnyVersion): boolean {
  return def.versions.length === 1 ? v.storage !== false : v.storage === true;
}

function acceptsUndefined(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

function objectSchema(def: CustomKindDefinition<readonly AnyVersion[]>, v: AnyVersion): JSONSchemaProps {
  const properties: Record<string, JSONSchemaProps> = {
    apiVersion: {
      type: 'string',
      description: 'APIVersion defines the versioned schema of this representation of an object.',
    },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { type: 'object' },
    spec: openAPISchema(v.spec, 'spec'),
  };
  if (v.status) properties.status = openAPISchema(v.status, 'status');
  const schema: JSONSchemaProps = {};
  if (def.description) schema.description = def.description;
  schema.type = 'object';
  if (!acceptsUndefined(v.spec)) schema.required = ['spec'];
  schema.properties = properties;
  if (v.rules && v.rules.length > 0) schema['x-kubernetes-validations'] = v.rules.map((r) => ({ ...r }));
  return schema;
}

function columnsFor(def: CustomKindDefinition<readonly AnyVersion[]>, v: AnyVersion): PrinterColumn[] {
  const cols = [...(def.printerColumns ?? []), ...(v.printerColumns ?? [])];
  if (cols.length === 0) return [];
  // kubectl only adds Age by itself when a CRD has no columns at all.
  if (!cols.some((c) => c.jsonPath === '.metadata.creationTimestamp')) {
    cols.push({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
  }
  return cols;
}

function crdVersion(def: CustomKindDefinition<readonly AnyVersion[]>, v: AnyVersion): CustomResourceDefinitionVersion {
  const out: CustomResourceDefinitionVersion = {
    name: v.name,
    served: v.served !== false,
    storage: isStorage(def, v),
    schema: { openAPIV3Schema: objectSchema(def, v) as Record<string, unknown> },
  };
  if (v.deprecated) out.deprecated = true;
  if (v.deprecationWarning) out.deprecationWarning = v.deprecationWarning;
  const subresources: NonNullable<CustomResourceDefinitionVersion['subresources']> = {};
  if (v.status && v.subresources?.status !== false) subresources.status = {};
  if (v.subresources?.status === true && !v.status) subresources.status = {};
  if (v.subresources?.scale) subresources.scale = { ...v.subresources.scale };
  if (Object.keys(subresources).length > 0) out.subresources = subresources;
  const columns = columnsFor(def, v);
  if (columns.length > 0) out.additionalPrinterColumns = columns;
  if (v.selectableFields && v.selectableFields.length > 0) out.selectableFields = v.selectableFields.map((jsonPath) => ({ jsonPath }));
  return out;
}

function buildCrd(def: CustomKindDefinition<readonly AnyVersion[]>, opts: CrdOptions = {}): CustomResourceDefinition {
  const names: CustomResourceDefinition['spec']['names'] = {
    plural: def.plural,
    singular: def.singular ?? def.kind.toLowerCase(),
    kind: def.kind,
    listKind: `${def.kind}List`,
  };
  if (def.shortNames && def.shortNames.length > 0) names.shortNames = [...def.shortNames];
  if (def.categories && def.categories.length > 0) names.categories = [...def.categories];
  const metadata: CustomResourceDefinition['metadata'] = { name: `${def.plural}.${def.group}` };
  if (opts.labels) metadata.labels = { ...opts.labels };
  if (opts.annotations) metadata.annotations = { ...opts.annotations };
  const crd: CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata,
    spec: { group: def.group, names, scope: def.scope, versions: def.versions.map((v) => crdVersion(def, v)) },
  };
  if (opts.conversion) {
    crd.spec.conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { ...opts.conversion } } };
  }
  // No object shared between two places (kind-wide columns in every version): YAML writers
  // would turn shared objects into anchors and aliases, which kubectl users do not expect.
  return JSON.parse(JSON.stringify(crd)) as CustomResourceDefinition;
}

function validateObject<T>(def: CustomKindDefinition<readonly AnyVersion[]>, v: AnyVersion, obj: unknown): ValidationResult<T> {
  const issues: FieldIssue[] = [];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, issues: [{ path: '<root>', message: 'expected an object' }] };
  }
  const o = obj as Record<string, unknown>;
  const apiVersion = `${def.group}/${v.name}`;
  if (o.apiVersion !== apiVersion) issues.push({ path: 'apiVersion', message: `expected ${apiVersion}, got ${JSON.stringify(o.apiVersion)}` });
  if (o.kind !== def.kind) issues.push({ path: 'kind', message: `expected ${def.kind}, got ${JSON.stringify(o.kind)}` });
  const meta = o.metadata;
  if (typeof meta !== 'object' || meta === null) issues.push({ path: 'metadata', message: 'required' });
  else {
    const { name, generateName, namespace } = meta as Record<string, unknown>;
    if ((typeof name !== 'string' || name === '') && (typeof generateName !== 'string' || generateName === '')) {
      issues.push({ path: 'metadata.name', message: 'name or generateName is required' });
    } else if (typeof name === 'string' && name.length > 253) {
      issues.push({ path: 'metadata.name', message: 'must be no more than 253 characters' });
    }
    if (def.scope === 'Cluster' && namespace !== undefined) issues.push({ path: 'metadata.namespace', message: `${def.kind} is cluster-scoped` });
  }
  const spec = v.spec.safeParse(o.spec);
  if (!spec.success) issues.push(...issuesOf(spec.error, 'spec'));
  let status: unknown = undefined;
  if (o.status !== undefined) {
    if (!v.status) issues.push({ path: 'status', message: 'this version has no status' });
    else {
      const s = v.status.safeParse(o.status);
      if (!s.success) issues.push(...issuesOf(s.error, 'status'));
      else status = s.data;
    }
  }
  if (issues.length > 0 || !spec.success) return { ok: false, issues };
  const value: Record<string, unknown> = { ...o, spec: spec.data };
  if (status !== undefined) value.status = status;
  return { ok: true, value: value as T };
}

function makeVersionKind(def: CustomKindDefinition<readonly AnyVersion[]>, v: AnyVersion): CustomKind {
  const kind: Kind = { group: def.group, version: v.name, kind: def.kind, plural: def.plural, namespaced: def.scope === 'Namespaced' };
  let cachedSchema: JSONSchemaProps | undefined;
  const self = {
    ...kind,
    [brand]: true,
    scope: def.scope,
    crdName: `${def.plural}.${def.group}`,
    crd: (opts) => buildCrd(def, opts),
    validate: (obj) => validateObject(def, v, obj),
    make(obj) {
      const full = { ...obj, apiVersion: apiVersionOf(kind), kind: def.kind };
      const r = validateObject<CustomObject>(def, v, full);
      if (!r.ok) throw new TypeError(`invalid ${def.kind}: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      return r.value;
    },
    schema: () => (cachedSchema ??= objectSchema(def, v)),
  } satisfies Omit<CustomKind, '__type'>;
  return Object.freeze(self) as CustomKind;
}

/**
 * Declares a custom kind. The result is the Kind of the storage version;
 * the others via `.atVersion(name)`. Schemas are converted when `.crd()` or `.schema()` is first called, which throws
 * NonStructuralSchemaError naming each offending field.
 */
export function defineCustomKind<const Vs extends readonly AnyVersion[]>(def: CustomKindDefinition<Vs>): CustomKindWithVersions<Vs> {
  checkDefinition(def);
  const byName = new Map(def.versions.map((v) => [v.name, makeVersionKind(def, v)] as const));
  const storage = def.versions.find((v) => isStorage(def, v)) ?? def.versions[0];
  if (!storage) throw new TypeError(`custom kind ${def.kind}: no versions`);
  const base = byName.get(storage.name);
  if (!base) throw new TypeError(`custom kind ${def.kind}: no storage version`);
  const out = {
    ...base,
    versionNames: def.versions.map((v) => v.name),
    atVersion(name: string) {
      const k = byName.get(name);
      if (!k) throw new TypeError(`custom kind ${def.kind} has no version ${name}`);
      return k;
    },
  };
  return Object.freeze(out) as unknown as CustomKindWithVersions<Vs>;
}
