// The informer's in-memory copy of a set of objects: a Map from `namespace/name` to the object,
// plus secondary indexes kept in step on every write. Lookups by key and by index value are
// O(1) in the number of stored objects (client-node's ListWatch scans an array instead).
import { keyOf, type KubeObject, type ObjectKey } from './object.js';

/** Values an object is filed under for one index (e.g. its owners' UIDs); [] files it nowhere. */
export type IndexFunc<T> = (obj: T) => string[];

/** Read side of a store: what handlers, reconcilers and the cache see. */
export interface Store<T extends KubeObject> {
  get(key: string | ObjectKey): T | undefined;
  list(): T[];
  keys(): string[];
  readonly size: number;
  /** Objects filed under `value` in index `name`; throws if the index does not exist. */
  byIndex(name: string, value: string): T[];
  /** Adds an index and files every stored object under it; throws if `name` is taken. */
  addIndex(name: string, fn: IndexFunc<T>): void;
  hasIndex(name: string): boolean;
}

export interface StoreDiff<T> {
  added: T[];
  updated: { old: T; new: T }[];
  deleted: T[];
}

/** Write side, used by the informer only. */
export interface MutableStore<T extends KubeObject> extends Store<T> {
  /** Inserts or replaces; returns what was there before. */
  upsert(obj: T): T | undefined;
  /** Removes by key; returns what was there. */
  remove(key: string): T | undefined;
  /**
   * Swaps the whole content for `objs` (after a relist) and says what changed. An object counts
   * as updated only when its resourceVersion differs, so a relist of unchanged objects is quiet.
   */
  replace(objs: T[]): StoreDiff<T>;
}

/** Every store has this index: objects by namespace ('' for cluster-scoped ones). */
export const NAMESPACE_INDEX = 'namespace';

export const indexByNamespace: IndexFunc<KubeObject> = (o) => [o.metadata.namespace ?? ''];

/** Files objects under the UID of each owner; a common index for Owns()-style lookups. */
export const indexByOwnerUid: IndexFunc<KubeObject> = (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid);

interface Index<T> {
  fn: IndexFunc<T>;
  values: Map<string, Set<string>>;
}

export function createStore<T extends KubeObject>(): MutableStore<T> {
  const items = new Map<string, T>();
  const indexes = new Map<string, Index<T>>();
  // Which values each key is filed under per index, so removal does not re-run user functions
  // (whose answer may differ for a mutated object) and costs O(values) instead of O(index).
  const filed = new Map<string, Map<string, string[]>>();

  const unfile = (key: string) => {
    const byIndex = filed.get(key);
    if (!byIndex) return;
    for (const [name, values] of byIndex) {
      const idx = indexes.get(name);
      if (!idx) continue;
      for (const v of values) {
        const set = idx.values.get(v);
        set?.delete(key);
        if (set?.size === 0) idx.values.delete(v);
      }
    }
    filed.delete(key);
  };

  const fileUnder = (key: string, obj: T, name: string, idx: Index<T>) => {
    const values = [...new Set(idx.fn(obj))];
    for (const v of values) {
      let set = idx.values.get(v);
      if (!set) idx.values.set(v, (set = new Set()));
      set.add(key);
    }
    let byIndex = filed.get(key);
    if (!byIndex) filed.set(key, (byIndex = new Map()));
    byIndex.set(name, values);
  };

  const file = (key: string, obj: T) => {
    for (const [name, idx] of indexes) fileUnder(key, obj, name, idx);
  };

  const store: MutableStore<T> = {
    get(key) {
      return items.get(typeof key === 'string' ? key : keyOf(key));
    },
    list() {
      return [...items.values()];
    },
    keys() {
      return [...items.keys()];
    },
    get size() {
      return items.size;
    },
    byIndex(name, value) {
      const idx = indexes.get(name);
      if (!idx) throw new Error(`store: no index named "${name}"`);
      const keys = idx.values.get(value);
      if (!keys) return [];
      const out: T[] = [];
      for (const k of keys) {
        const o = items.get(k);
        if (o !== undefined) out.push(o);
      }
      return out;
    },
    addIndex(name, fn) {
      if (indexes.has(name)) throw new Error(`store: index "${name}" already exists`);
      const idx: Index<T> = { fn, values: new Map() };
      indexes.set(name, idx);
      for (const [k, o] of items) fileUnder(k, o, name, idx);
    },
    hasIndex(name) {
      return indexes.has(name);
    },
    upsert(obj) {
      const key = keyOf(obj);
      const old = items.get(key);
      if (old !== undefined) unfile(key);
      items.set(key, obj);
      file(key, obj);
      return old;
    },
    remove(key) {
      const old = items.get(key);
      if (old === undefined) return undefined;
      unfile(key);
      items.delete(key);
      return old;
    },
    replace(objs) {
      const diff: StoreDiff<T> = { added: [], updated: [], deleted: [] };
      const seen = new Set<string>();
      for (const o of objs) {
        const key = keyOf(o);
        seen.add(key);
        const old = store.upsert(o);
        if (old === undefined) diff.added.push(o);
        else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) diff.updated.push({ old, new: o });
      }
      for (const key of [...items.keys()]) {
        if (seen.has(key)) continue;
        const old = store.remove(key);
        if (old !== undefined) diff.deleted.push(old);
      }
      return diff;
    },
  };
  store.addIndex(NAMESPACE_INDEX, indexByNamespace);
  return store;
}
