// A mutating webhook answers with an RFC 6902 JSON patch, but writing patches by hand is where
// defaulting webhooks go wrong (escaping, "add" vs "replace", paths into arrays). Handlers here
// edit a copy of the object instead, and the patch is computed from the difference.

export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

type JsonObject = Record<string, unknown>;

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Keys come from user objects (label maps, annotations), so `toString`, `constructor` and
// `__proto__` are ordinary keys here: only own properties count, and writes define a property
// rather than assign one (assigning `__proto__` would replace the prototype instead).
function own(o: JsonObject, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

function setOwn(o: JsonObject, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Structural equality of JSON values; a key holding `undefined` counts as absent, as in JSON. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], own(b, k)));
  }
  return false;
}

/**
 * The JSON patch that turns `before` into `after`. Objects are diffed key by key; arrays of the
 * same length element by element, otherwise replaced whole (index-shifting patches are easy to
 * get wrong and rarely smaller for the short lists in Kubernetes objects).
 */
export function diffJsonPatch(before: unknown, after: unknown): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  diff(before, after, '', ops);
  return ops;
}

function diff(a: unknown, b: unknown, path: string, ops: JsonPatchOperation[]): void {
  if (jsonEqual(a, b)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of Object.keys(a)) {
      if (a[k] !== undefined && own(b, k) === undefined) ops.push({ op: 'remove', path: `${path}/${escapePointer(k)}` });
    }
    for (const k of Object.keys(b)) {
      if (b[k] === undefined) continue;
      const p = `${path}/${escapePointer(k)}`;
      if (own(a, k) === undefined) ops.push({ op: 'add', path: p, value: b[k] });
      else diff(a[k], b[k], p, ops);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) diff(a[i], b[i], `${path}/${i}`, ops);
    return;
  }
  ops.push({ op: 'replace', path, value: b });
}

/** Applies a patch made of add/replace/remove to a copy of `doc` (enough to check diffs by value). */
export function applyJsonPatch<T>(doc: T, ops: readonly JsonPatchOperation[]): T {
  let root: unknown = structuredClone(doc);
  for (const op of ops) {
    if (op.path === '') {
      if (op.op === 'remove') throw new Error('cannot remove the document root');
      root = structuredClone(op.value);
      continue;
    }
    const segments = op.path.split('/').slice(1).map(unescapePointer);
    const last = segments.pop() as string;
    let parent: unknown = root;
    for (const s of segments) {
      parent = Array.isArray(parent) ? parent[Number(s)] : isPlainObject(parent) ? own(parent, s) : undefined;
      if (parent === undefined) throw new Error(`path ${op.path} does not exist`);
    }
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
      else if (op.op === 'replace') parent[i] = structuredClone(op.value);
      else parent.splice(i, 1);
    } else if (isPlainObject(parent)) {
      if (op.op === 'remove') {
        if (!Object.hasOwn(parent, last)) throw new Error(`path ${op.path} does not exist`);
        delete parent[last];
      } else {
        if (op.op === 'replace' && !Object.hasOwn(parent, last)) throw new Error(`path ${op.path} does not exist`);
        setOwn(parent, last, structuredClone(op.value));
      }
    } else throw new Error(`path ${op.path} does not exist`);
  }
  return root as T;
}
