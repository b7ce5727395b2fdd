// The shared cache: at most one informer per (kind, namespace, label selector, field selector,
// metadata-only) in the process, however many controllers ask for it. informerFor() hands out
// a reference-counted handle; when the last handle stops, the informer stops and its memory is
// freed, so controllers can start and stop watches at runtime (optional dependencies, CRDs that
// appear later) without leaking watches.
//
// Reads (get/list) are served from the store of any informer that covers the query; when none
// does, the cache starts one for the whole kind and waits for it to sync, like
// controller-runtime's cache.
import type { Client } from './client.js';
import { createInformer, describeInformer, type EventHandler, type Informer, type InformerHealth, type InformerOptions, type Transform } from './informer.js';
import type { PartialObjectMetadata } from './kinds.js';
import { keyOf, type Kind, type KubeObject, type ObjectKey } from './object.js';
import { matchesLabels, parseLabelSelector, selectorCovers } from './selector.js';
import { NAMESPACE_INDEX } from './store.js';

export interface InformerRequest<T extends KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Applied once per object before storing; default strips managedFields and the
   * last-applied annotation. Informers are shared, so a second request for the same informer
   * with a different transform is refused.
   */
  transform?: Transform<T>;
}

/** Informer tuning shared by every informer of a cache. */
export type CacheInformerDefaults = Pick<
  InformerOptions<KubeObject>,
  'freeze' | 'watchList' | 'pageSize' | 'watchTimeoutSeconds' | 'stallTimeoutMs' | 'resyncPeriodMs' | 'backoff' | 'onError'
>;

export interface CacheOptions extends CacheInformerDefaults {
  /** Limit informers the cache starts on its own (for get/list) to one namespace (namespaced RBAC). */
  namespace?: string;
  /** Transform used when a request names none. */
  defaultTransform?: Transform<KubeObject>;
}

export interface CacheListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Look up through a store index (see Informer.store.addIndex) instead of scanning. */
  index?: { name: string; value: string };
  metadataOnly?: boolean;
}

export interface CacheHealth {
  synced: boolean;
  /** Names of informers whose watch has been silent longer than their stall timeout. */
  stalled: string[];
  informers: InformerHealth[];
}

export interface Cache {
  informerFor<T extends KubeObject>(kind: Kind<T>, opts?: InformerRequest<T> & { metadataOnly?: false }): Informer<T>;
  informerFor<T extends KubeObject>(
    kind: Kind<T>,
    opts: InformerRequest<PartialObjectMetadata> & { metadataOnly: true },
  ): Informer<PartialObjectMetadata>;
  /** For a `metadataOnly` known only at run time: objects are then typed as plain KubeObjects. */
  informerFor<T extends KubeObject>(kind: Kind<T>, opts: InformerRequest<KubeObject> & { metadataOnly?: boolean }): Informer<KubeObject>;
  /** The cached object, or undefined when it does not exist (as far as the cache knows). */
  get<T extends KubeObject>(kind: Kind<T>, key: ObjectKey, opts?: { metadataOnly?: false }): Promise<T | undefined>;
  get<T extends KubeObject>(kind: Kind<T>, key: ObjectKey, opts: { metadataOnly: true }): Promise<PartialObjectMetadata | undefined>;
  list<T extends KubeObject>(kind: Kind<T>, opts?: CacheListOptions & { metadataOnly?: false }): Promise<T[]>;
  list<T extends KubeObject>(kind: Kind<T>, opts: CacheListOptions & { metadataOnly: true }): Promise<PartialObjectMetadata[]>;
  /** Resolves true when every informer known now has synced; false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** Starts every informer, and any created later at once. */
  start(): void;
  /** Stops every informer; handles become inert. */
  stop(): Promise<void>;
  health(): CacheHealth;
  /** Number of distinct running informers (for tests and debugging). */
  size(): number;
}

interface Entry {
  key: string;
  kind: Kind;
  namespace: string | undefined;
  labelSelector: string | undefined;
  fieldSelector: string | undefined;
  metadataOnly: boolean;
  transform: Transform<KubeObject> | undefined;
  informer: Informer<KubeObject>;
  refs: number;
}

function entryKey(kind: Kind, ns: string | undefined, labels: string | undefined, fields: string | undefined, meta: boolean): string {
  return [kind.group, kind.version, kind.plural, ns ?? '', labels ?? '', fields ?? '', meta ? 'meta' : 'full'].join('\u0000');
}

export function createCache(client: Client, opts: CacheOptions = {}): Cache {
  const entries = new Map<string, Entry>();
  let started = false;
  let stopped = false;
  const { namespace: defaultNamespace, defaultTransform, ...informerDefaults } = opts;

  const acquire = (
    kind: Kind,
    req: InformerRequest<KubeObject> & { metadataOnly?: boolean | undefined },
  ): Entry => {
    if (stopped) throw new Error('cache is stopped');
    const meta = req.metadataOnly === true;
    const key = entryKey(kind, req.namespace, req.labelSelector, req.fieldSelector, meta);
    const transform = req.transform ?? defaultTransform;
    let e = entries.get(key);
    if (e) {
      if (req.transform !== undefined && e.transform !== req.transform) {
        throw new Error(`cache: informer ${e.informer.name} is shared and already has a different transform`);
      }
      e.refs++;
      return e;
    }
    const informerOpts: InformerOptions<KubeObject> & { metadataOnly: boolean } = {
      ...informerDefaults,
      metadataOnly: meta,
      name: describeInformer(kind, { ...req, metadataOnly: meta }),
    };
    if (req.namespace !== undefined) informerOpts.namespace = req.namespace;
    if (req.labelSelector !== undefined) informerOpts.labelSelector = req.labelSelector;
    if (req.fieldSelector !== undefined) informerOpts.fieldSelector = req.fieldSelector;
    if (transform !== undefined) informerOpts.transform = transform;
    const informer = createInformer(client, kind, informerOpts);
    e = {
      key,
      kind,
      namespace: req.namespace,
      labelSelector: req.labelSelector,
      fieldSelector: req.fieldSelector,
      metadataOnly: meta,
      transform,
      informer,
      refs: 1,
    };
    entries.set(key, e);
    if (started) informer.start();
    return e;
  };

  const release = async (e: Entry) => {
    e.refs--;
    if (e.refs > 0 || entries.get(e.key) !== e) return;
    entries.delete(e.key);
    await e.informer.stop();
  };

  const handle = (e: Entry): Informer<KubeObject> => {
    const removers = new Set<() => void>();
    let released = false;
    const inner = e.informer;
    const track = (remove: () => void) => {
      if (released) {
        remove();
        return () => undefined;
      }
      removers.add(remove);
      return () => {
        removers.delete(remove);
        remove();
      };
    };
    return {
      kind: inner.kind,
      name: inner.name,
      store: inner.store,
      on(event: 'add' | 'update' | 'delete', handler: (...args: never[]) => void) {
        return track(inner.on(event as 'add', handler as (obj: KubeObject, initial: boolean) => void));
      },
      addHandler: (h: EventHandler<KubeObject>) => track(inner.addHandler(h)),
      hasSynced: () => inner.hasSynced(),
      waitForSync: (signal) => inner.waitForSync(signal),
      start: () => inner.start(),
      async stop() {
        if (released) return;
        released = true;
        for (const r of removers) r();
        removers.clear();
        await release(e);
      },
      health: () => inner.health(),
      stats: () => inner.stats(),
      lastSyncResourceVersion: () => inner.lastSyncResourceVersion(),
    };
  };

  /** An informer whose store holds every object the query could match. */
  const serving = async (
    kind: Kind,
    q: { namespace?: string | undefined; labelSelector?: string | undefined; fieldSelector?: string | undefined; metadataOnly: boolean },
  ): Promise<Entry> => {
    if (!started) throw new Error('cache: start() it before reading from it');
    let best: Entry | undefined;
    for (const e of entries.values()) {
      if (e.kind.group !== kind.group || e.kind.plural !== kind.plural || e.kind.version !== kind.version) continue;
      if (e.metadataOnly !== q.metadataOnly) continue;
      if (e.namespace !== undefined && e.namespace !== q.namespace) continue;
      if (!selectorCovers(e.labelSelector, q.labelSelector)) continue;
      if (e.fieldSelector !== undefined && e.fieldSelector !== q.fieldSelector) continue;
      // Field selectors are not evaluated in memory: only an informer with the same one (or an
      // exact match on everything) can answer a query that has one.
      if (q.fieldSelector !== undefined && e.fieldSelector !== q.fieldSelector) continue;
      if (!best || (best.informer.hasSynced() === false && e.informer.hasSynced())) best = e;
    }
    if (!best) {
      const ns = q.fieldSelector !== undefined ? q.namespace : (defaultNamespace ?? undefined);
      const req = q.fieldSelector !== undefined ? { namespace: q.namespace, labelSelector: q.labelSelector, fieldSelector: q.fieldSelector } : { namespace: ns };
      // Held by the cache itself until stop(): later reads reuse it.
      best = acquire(kind, { ...req, metadataOnly: q.metadataOnly });
    }
    await best.informer.waitForSync();
    return best;
  };

  const cache = {
    informerFor(kind: Kind, o: InformerRequest<KubeObject> & { metadataOnly?: boolean } = {}) {
      return handle(acquire(kind, o));
    },
    async get(kind: Kind, key: ObjectKey, o: { metadataOnly?: boolean } = {}) {
      const e = await serving(kind, { namespace: kind.namespaced ? key.namespace : undefined, metadataOnly: o.metadataOnly === true });
      return e.informer.store.get(keyOf(key));
    },
    async list(kind: Kind, o: CacheListOptions = {}) {
      const ns = kind.namespaced ? o.namespace : undefined;
      const e = await serving(kind, { namespace: ns, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, metadataOnly: o.metadataOnly === true });
      const store = e.informer.store;
      let items: KubeObject[];
      if (o.index) items = store.byIndex(o.index.name, o.index.value);
      else if (ns !== undefined && e.namespace === undefined) items = store.byIndex(NAMESPACE_INDEX, ns);
      else items = store.list();
      if (ns !== undefined && o.index) items = items.filter((x) => x.metadata.namespace === ns);
      if (o.labelSelector !== undefined && o.labelSelector !== e.labelSelector) {
        const sel = parseLabelSelector(o.labelSelector);
        items = items.filter((x) => matchesLabels(sel, x.metadata.labels));
      }
      return items;
    },
    async waitForSync(signal?: AbortSignal) {
      const results = await Promise.all([...entries.values()].map((e) => e.informer.waitForSync(signal)));
      return results.every(Boolean);
    },
    start() {
      if (stopped) throw new Error('cache is stopped');
      started = true;
      for (const e of entries.values()) e.informer.start();
    },
    async stop() {
      stopped = true;
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((e) => e.informer.stop()));
    },
    health(): CacheHealth {
      const informers = [...entries.values()].map((e) => e.informer.health());
      return { synced: informers.every((h) => h.synced), stalled: informers.filter((h) => h.stalled).map((h) => h.name), informers };
    },
    size: () => entries.size,
  };
  return cache as Cache;
}
