// What a reconciler gets besides the request: reads from the shared cache, writes through
// server-side apply that skip themselves when nothing would change, a logger carrying the
// object's name and a reconcile id, an event recorder, and a signal that aborts when the
// manager must stop at once (leadership lost, shutdown grace period over).
import type { ApplyConfiguration, Client } from './client.js';
import type { Cache, CacheListOptions } from './cache.js';
import { covers, isUpToDate, withAppliedHash } from './applied.js';
import { isNotFound } from './errors.js';
import type { EventRecorder } from './events.js';
import type { FinalizerHandlers, FinalizerRunner } from './finalizers.js';
import type { KindLookup } from './kindlookup.js';
import type { Logger } from './log.js';
import type { Counter } from './metrics.js';
import { apiVersionOf, keyOf, type Kind, type KubeObject, type ObjectKey } from './object.js';
import { setControllerReference } from './ownerrefs.js';
import type { Result } from './reconcile.js';
import { shardFor, validShardLabel } from './sharding.js';

export interface ApplyOptions {
  /**
   * Makes every object a controlled child of `owner` (and defaults its namespace to owner's).
   * Under label-mode sharding the child also gets the owner's shard label, so the Owns()
   * informers of that shard, filtered by it, see the child.
   */
  owner?: KubeObject;
  /** Take over fields other managers own. Default true: the controller is the source of truth for what it renders. */
  force?: boolean;
}

export interface Applied<T extends KubeObject = KubeObject> {
  /** The object after the apply, or the cached one when the apply was skipped. */
  object: T;
  /** False when the cached object already matched and no request was sent. */
  changed: boolean;
}

export interface ReconcileContext {
  readonly controller: string;
  /** `tugboat-<controller>`: the field manager every apply of this controller uses. */
  readonly fieldManager: string;
  readonly client: Client;
  readonly cache: Cache;
  readonly log: Logger;
  readonly recorder: EventRecorder;
  /** Aborts when the reconcile must stop now (leadership lost, shutdown grace period over). */
  readonly signal: AbortSignal;
  /** The cached object, or undefined if it does not exist. */
  get<T extends KubeObject>(kind: Kind<T>, key: ObjectKey): Promise<T | undefined>;
  list<T extends KubeObject>(kind: Kind<T>, opts?: CacheListOptions & { metadataOnly?: false }): Promise<T[]>;
  /**
   * Server-side applies each object with this controller's field manager, in order. Objects
   * whose cached copy already holds what would be applied are skipped (no request).
   */
  apply<T extends KubeObject>(objects: T | readonly T[], opts?: ApplyOptions): Promise<Applied<T>[]>;
  /** Applies `status` to obj's status subresource, unless obj.status already holds it. */
  applyStatus<T extends KubeObject & { status?: unknown }>(obj: T, status: NonNullable<T['status']>): Promise<T>;
  /** Add / clean up / remove a finalizer, safe under retries (see finalizers.ts). */
  finalize<T extends KubeObject>(obj: T, finalizer: string, handlers: FinalizerHandlers<T>): Promise<Result>;
  /** The Kind of a plain object, from declared and built-in kinds. */
  kindOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): Kind;
}

export interface ContextDeps {
  controller: string;
  client: Client;
  cache: Cache;
  log: Logger;
  recorder: EventRecorder;
  signal: AbortSignal;
  kinds: KindLookup;
  finalizers: FinalizerRunner;
  /** The cached object from an informer this controller owns, if it watches that kind. */
  cached(kind: Kind, key: string): { watched: false } | { watched: true; obj: KubeObject | undefined; metadataOnly: boolean };
  applies: Counter<'controller' | 'result'>;
  /**
   * Asked when `cached` says the object of a watched kind is absent, where the cache alone
   * cannot be trusted with that (label-mode sharding: an object that just got its label leaves
   * one watch before it enters the other). Returns the object when it exists after all.
   */
  confirmAbsent?: (kind: Kind, key: ObjectKey) => Promise<KubeObject | undefined>;
  /** Label-mode sharding: children applied with an owner inherit its shard under this label. */
  shardLabel?: { label: string; count: number };
}

export function fieldManagerFor(controller: string): string {
  return `tugboat-${controller}`.slice(0, 128);
}

export function createReconcileContext(deps: ContextDeps): ReconcileContext {
  const { client, controller } = deps;
  const fieldManager = fieldManagerFor(controller);

  const current = async (kind: Kind, key: string, namespace: string | undefined, name: string) => {
    const c = deps.cached(kind, key);
    if (c.watched) return c;
    // Not a kind this controller watches: one read, so the apply can still be skipped.
    try {
      return { watched: true as const, obj: await client.get(kind, { namespace, name }, { signal: deps.signal }), metadataOnly: false };
    } catch (e) {
      if (isNotFound(e)) return { watched: true as const, obj: undefined, metadataOnly: false };
      throw e;
    }
  };

  return {
    controller,
    fieldManager,
    client,
    cache: deps.cache,
    log: deps.log,
    recorder: deps.recorder,
    signal: deps.signal,
    kindOf: (obj) => deps.kinds.forObject(obj),

    async get<T extends KubeObject>(kind: Kind<T>, key: ObjectKey) {
      const c = deps.cached(kind, keyOf(key));
      if (c.watched && !c.metadataOnly) {
        if (c.obj === undefined && deps.confirmAbsent) return (await deps.confirmAbsent(kind, key)) as T | undefined;
        return c.obj as T | undefined;
      }
      return deps.cache.get(kind, key);
    },

    list: (kind, opts) => deps.cache.list(kind, opts),

    async apply<T extends KubeObject>(objects: T | readonly T[], opts: ApplyOptions = {}) {
      const list: readonly T[] = Array.isArray(objects) ? objects : [objects as T];
      const out: Applied<T>[] = [];
      for (const o of list) {
        deps.signal.throwIfAborted();
        const kind = deps.kinds.forObject(o);
        let desired: T = { ...o, apiVersion: o.apiVersion || apiVersionOf(kind), kind: o.kind || kind.kind };
        const ownerNs = opts.owner?.metadata.namespace;
        if (kind.namespaced && !desired.metadata.namespace && ownerNs) desired = { ...desired, metadata: { ...desired.metadata, namespace: ownerNs } };
        if (opts.owner) desired = setControllerReference(opts.owner, desired);
        const sl = deps.shardLabel;
        if (opts.owner && sl && validShardLabel(desired.metadata.labels?.[sl.label], sl.count) === undefined) {
          const labels = { ...desired.metadata.labels, [sl.label]: String(shardFor(opts.owner, sl.count, sl.label)) };
          desired = { ...desired, metadata: { ...desired.metadata, labels } };
        }
        desired = withAppliedHash(desired);
        const name = desired.metadata.name;
        if (!name) throw new TypeError(`apply: ${desired.kind} needs metadata.name (server-side apply cannot generate names)`);
        const c = await current(kind, keyOf(desired), desired.metadata.namespace, name);
        if (c.watched && c.obj && isUpToDate(desired, c.obj, { metadataOnly: c.metadataOnly })) {
          deps.applies.inc({ controller, result: 'unchanged' });
          out.push({ object: c.obj as T, changed: false });
          continue;
        }
        const applied = await client.apply<T>(kind as Kind<T>, desired as unknown as ApplyConfiguration<T>, { fieldManager, force: opts.force ?? true });
        deps.applies.inc({ controller, result: 'applied' });
        deps.log.debug('applied', { kind: kind.kind, name, namespace: desired.metadata.namespace });
        out.push({ object: applied, changed: true });
      }
      return out;
    },

    async applyStatus<T extends KubeObject & { status?: unknown }>(obj: T, status: NonNullable<T['status']>) {
      const kind = deps.kinds.forObject(obj);
      if (covers(status, obj.status)) {
        deps.applies.inc({ controller, result: 'unchanged' });
        return obj;
      }
      deps.signal.throwIfAborted();
      const body = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name ?? '', namespace: obj.metadata.namespace }, status };
      const applied = await client.apply<T>(kind as Kind<T>, body as unknown as ApplyConfiguration<T>, { fieldManager, force: true, subresource: 'status' });
      deps.applies.inc({ controller, result: 'applied' });
      return applied;
    },

    finalize(obj, finalizer, handlers) {
      return deps.finalizers.finalize(deps.kinds.forObject(obj) as Kind<typeof obj>, obj, finalizer, handlers);
    },
  };
}
