// A controller turns watch events into reconcile requests and runs the reconciler over them:
//
//   For(kind)            events on the primary kind enqueue that object
//   Owns(kind)           events on a child enqueue its controller owner (ownerReferences)
//   Watches(kind, map)   events on anything enqueue what `map` returns
//        │  predicates drop events that cannot matter; sharding drops other shards' keys
//        │  (label-mode sharding: the apiserver already filtered For() and Owns() watches)
//        ▼
//   work queue (dedup, one worker per key, backoff, requeueAfter)
//        ▼
//   N workers: reconcile(req, ctx) → Result | throw
//
// The builder only describes; the manager runs the description over its shared cache, so two
// controllers owning ConfigMaps share one ConfigMap informer.
import { randomUUID } from 'node:crypto';
import type { Cache } from './cache.js';
import type { Client } from './client.js';
import { createReconcileContext, type ReconcileContext } from './context.js';
import { isConflict, isNotFound } from './errors.js';
import type { EventRecorder } from './events.js';
import type { FinalizerRunner } from './finalizers.js';
import type { Informer } from './informer.js';
import type { KindLookup } from './kindlookup.js';
import type { Logger } from './log.js';
import { controllerMetrics, type Registry } from './metrics.js';
import { keyOf, parseKey, type Kind, type KubeObject, type ObjectKey } from './object.js';
import { controllerOf } from './ownerrefs.js';
import { admits, type Predicate } from './predicates.js';
import type { RateLimiter } from './ratelimiter.js';
import { isTerminal, outcomeOf, type Request, type Result } from './reconcile.js';
import { andSelectors, primarySelectors, validShardLabel, type ShardSelector } from './sharding.js';
import { createWorkQueue, type WorkQueue } from './workqueue.js';

export interface SourceOptions {
  /** Watch one namespace only. */
  namespace?: string;
  /** Watch only objects matching this label selector (the filter runs in the apiserver). */
  labelSelector?: string;
  /** Event filters for this source only. */
  predicates?: Predicate[];
}

export interface OwnsOptions extends SourceOptions {
  /** Cache only metadata (PartialObjectMetadata): far less memory for large kinds (Secrets, ConfigMaps). */
  metadataOnly?: boolean;
}

export type WatchesOptions = OwnsOptions;

/** Maps an object of a watched kind to the primary objects to reconcile. */
export type MapFunc<T extends KubeObject> = (obj: T) => Request | readonly Request[] | undefined | null;

export type Reconciler = (req: Request, ctx: ReconcileContext) => Promise<Result> | Result;

interface Source {
  kind: Kind;
  opts: OwnsOptions;
  map: 'self' | 'owner' | MapFunc<KubeObject>;
}

export interface ControllerDefinition {
  readonly name: string;
  readonly primary: Kind;
  readonly sources: readonly Source[];
  readonly predicates: readonly Predicate[];
  readonly concurrency: number;
  readonly rateLimiter: RateLimiter<string> | undefined;
  readonly resyncPeriodMs: number;
  readonly reconciler: Reconciler;
}

export interface ControllerBuilder {
  /** The primary kind: its events enqueue the object itself. Exactly one per controller. */
  for(kind: Kind, opts?: SourceOptions): ControllerBuilder;
  /** A kind this controller creates: its events enqueue the controller owner of the object. */
  owns(kind: Kind, opts?: OwnsOptions): ControllerBuilder;
  /** Any other kind: its events enqueue what `map` returns. */
  watches<T extends KubeObject>(kind: Kind<T>, map: MapFunc<T>, opts?: WatchesOptions): ControllerBuilder;
  /** Event filters applied to every source (in addition to per-source ones). */
  withPredicates(...predicates: Predicate[]): ControllerBuilder;
  /** Reconciles running at once (on different objects). Default 1. */
  withConcurrency(n: number): ControllerBuilder;
  /** Backoff for errors and `{ requeue: true }`. Default: client-go's default controller rate limiter. */
  withRateLimiter(limiter: RateLimiter<string>): ControllerBuilder;
  /** Re-reconcile every primary object this often (with ±10% jitter), catching drift no event reports. 0 = never. Default 10 h. */
  withResyncPeriod(ms: number): ControllerBuilder;
  reconcile(fn: Reconciler): ControllerDefinition;
}

const DEFAULT_RESYNC_MS = 10 * 60 * 60_000;
const controllerName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Starts describing a controller. `name` labels metrics and logs and names the field manager. */
export function controller(name: string): ControllerBuilder {
  if (!controllerName.test(name) || name.length > 63) throw new TypeError(`controller name ${JSON.stringify(name)}: use lowercase letters, digits and dashes`);
  interface Spec {
    primary?: Kind;
    sources: Source[];
    predicates: Predicate[];
    concurrency: number;
    rateLimiter?: RateLimiter<string>;
    resyncPeriodMs: number;
  }
  const build = (s: Spec): ControllerBuilder => ({
    for(kind, opts = {}) {
      if (s.primary) throw new TypeError(`controller ${name}: for() may be called once`);
      return build({ ...s, primary: kind, sources: [{ kind, opts, map: 'self' }, ...s.sources] });
    },
    owns: (kind, opts = {}) => build({ ...s, sources: [...s.sources, { kind, opts, map: 'owner' }] }),
    watches: (kind, map, opts = {}) => build({ ...s, sources: [...s.sources, { kind, opts, map: map as MapFunc<KubeObject> }] }),
    withPredicates: (...ps) => build({ ...s, predicates: [...s.predicates, ...ps] }),
    withConcurrency(n) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`controller ${name}: concurrency must be a positive integer`);
      return build({ ...s, concurrency: n });
    },
    withRateLimiter: (rateLimiter) => build({ ...s, rateLimiter }),
    withResyncPeriod(ms) {
      if (!(ms >= 0)) throw new RangeError(`controller ${name}: resync period must be >= 0`);
      return build({ ...s, resyncPeriodMs: ms });
    },
    reconcile(fn) {
      if (!s.primary) throw new TypeError(`controller ${name}: call for(kind) before reconcile()`);
      return Object.freeze({
        name,
        primary: s.primary,
        sources: s.sources,
        predicates: s.predicates,
        concurrency: s.concurrency,
        rateLimiter: s.rateLimiter,
        resyncPeriodMs: s.resyncPeriodMs,
        reconciler: fn,
      });
    },
  });
  return build({ sources: [], predicates: [], concurrency: 1, resyncPeriodMs: DEFAULT_RESYNC_MS });
}

/** A controller running inside a manager. */
export interface Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  /** Queues a reconcile of `req` (subject to sharding), as a watch event would. */
  enqueue(req: Request | string): void;
  /** Queues every primary object in the cache. */
  resync(): void;
  /** Whether workers are running (the manager leads and caches are synced). */
  running(): boolean;
}

export interface ControllerDeps {
  client: Client;
  cache: Cache;
  log: Logger;
  registry: Registry;
  recorder: EventRecorder;
  kinds: KindLookup;
  finalizers: FinalizerRunner;
  shard?: ShardSelector | undefined;
}

/** The manager-side handle: start workers when leading, stop with a grace period. */
export interface RunningController extends Controller {
  startWorkers(): void;
  stop(graceMs: number): Promise<void>;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function sameKind(a: Kind, b: Kind): boolean {
  return a.group === b.group && a.kind === b.kind;
}

export function startController(def: ControllerDefinition, deps: ControllerDeps): RunningController {
  const { name } = def;
  const log = deps.log.child({ controller: name, controllerGroup: def.primary.group, controllerKind: def.primary.kind });
  const m = controllerMetrics(deps.registry);
  const applies = deps.registry.counter<'controller' | 'result'>({
    name: 'tugboat_apply_total',
    help: 'Server-side applies by controller; result is applied, or unchanged when the cached object already matched and no request was sent.',
    labelNames: ['controller', 'result'],
  });
  const queue = createWorkQueue<string>({ name, metrics: deps.registry, ...(def.rateLimiter ? { rateLimiter: def.rateLimiter } : {}) });
  const abort = new AbortController();
  const labels = { controller: name };
  // Every series exists from the start, as in controller-runtime, so rate() works at once.
  for (const result of ['success', 'error', 'requeue', 'requeue_after']) m.reconcileTotal.inc({ controller: name, result }, 0);
  for (const c of [m.reconcileErrors, m.terminalReconcileErrors, m.reconcilePanics]) c.inc(labels, 0);
  applies.inc({ controller: name, result: 'applied' }, 0);
  applies.inc({ controller: name, result: 'unchanged' }, 0);
  m.maxConcurrentReconciles.set(labels, def.concurrency);
  m.activeWorkers.set(labels, 0);

  interface Watched {
    source: Source;
    informer: Informer<KubeObject>;
    /** The selector the informer really watches with (the source's, ANDed with a shard's). */
    labelSelector: string | undefined;
  }
  const watched: Watched[] = [];
  // Label-mode sharding watches the primary kind through two informers (labelled, unlabelled).
  const primaries: Informer<KubeObject>[] = [];
  const shard = deps.shard;
  const labelMode = shard?.mode === 'label';

  const primaryObject = (key: string) => {
    for (const p of primaries) {
      const obj = p.store.get(key);
      if (obj) return obj;
    }
    return undefined;
  };

  /** The object whose event produced a request, and how it maps to the primary. */
  type Origin = { obj: KubeObject; via: 'self' | 'owner' | 'map' };

  /**
   * Whether this shard reconciles `key`. `from` is the object whose event produced the key:
   * the primary itself (a delete is no longer in any store, but the event still carries its
   * labels), or a child, whose shard label is its owner's in label mode. A Watches() object's
   * labels say nothing about the primaries it maps to.
   */
  const shardOwns = (key: string, from?: Origin): boolean => {
    if (!shard) return true;
    const obj = primaryObject(key) ?? (from?.via === 'self' ? from.obj : undefined);
    if (obj) return shard.owns(obj);
    if (labelMode && from?.via === 'owner') {
      const pin = validShardLabel(from.obj.metadata.labels?.[shard.label], shard.count);
      if (pin !== undefined) return pin === shard.index;
    }
    return shard.ownsKey(key);
  };

  const enqueueFrom = (req: Request | string, from?: Origin) => {
    const key = typeof req === 'string' ? req : keyOf(req);
    if (key === '' || !shardOwns(key, from)) return;
    queue.add(key);
  };
  const enqueue = (req: Request | string) => enqueueFrom(req);

  const requestsFor = (source: Source, obj: KubeObject): ObjectKey[] => {
    if (source.map === 'self') return [{ namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' }];
    if (source.map === 'owner') {
      const ref = controllerOf(obj);
      if (!ref || ref.kind !== def.primary.kind || groupOf(ref.apiVersion) !== def.primary.group) return [];
      return [def.primary.namespaced ? { namespace: obj.metadata.namespace, name: ref.name } : { name: ref.name }];
    }
    const r = source.map(obj);
    if (!r) return [];
    return Array.isArray(r) ? (r as ObjectKey[]) : [r as ObjectKey];
  };

  const passes = (source: Source, event: Parameters<typeof admits>[1]) =>
    def.predicates.every((p) => admits(p, event)) && (source.opts.predicates ?? []).every((p) => admits(p, event));

  /** The label selectors a source is watched with: one, or two for a label-sharded primary. */
  const selectorsFor = (source: Source): (string | undefined)[] => {
    if (!labelMode || !shard) return [source.opts.labelSelector];
    if (source.map === 'self') return primarySelectors(shard, source.opts.labelSelector).map((p) => p.labelSelector);
    // Children carry their owner's shard label (ctx.apply stamps it), so the apiserver can filter them too.
    if (source.map === 'owner') return [andSelectors(source.opts.labelSelector, shard.pinnedSelector())];
    return [source.opts.labelSelector];
  };

  for (const source of def.sources) {
    for (const labelSelector of selectorsFor(source)) {
      const req: { namespace?: string; labelSelector?: string } = {};
      if (source.opts.namespace !== undefined) req.namespace = source.opts.namespace;
      if (labelSelector !== undefined) req.labelSelector = labelSelector;
      const informer = source.opts.metadataOnly
        ? (deps.cache.informerFor(source.kind, { ...req, metadataOnly: true }) as unknown as Informer<KubeObject>)
        : deps.cache.informerFor(source.kind, req);
      if (source.map === 'self') primaries.push(informer);
      watched.push({ source, informer, labelSelector });
      const via = source.map === 'self' || source.map === 'owner' ? source.map : 'map';
      informer.addHandler({
        onAdd(obj) {
          if (passes(source, { type: 'create', obj })) for (const r of requestsFor(source, obj)) enqueueFrom(r, { obj, via });
        },
        onUpdate(old, obj) {
          if (!passes(source, { type: 'update', old, obj })) return;
          // The owner may have changed: both the old and the new one must hear about it.
          if (via === 'self') for (const r of requestsFor(source, obj)) enqueueFrom(r, { obj, via });
          else {
            for (const r of requestsFor(source, old)) enqueueFrom(r, { obj: old, via });
            for (const r of requestsFor(source, obj)) enqueueFrom(r, { obj, via });
          }
        },
        onDelete(obj) {
          if (passes(source, { type: 'delete', obj })) for (const r of requestsFor(source, obj)) enqueueFrom(r, { obj, via });
        },
      });
    }
  }

  /** The cached copy from one of our informers, preferring a full one over metadata-only. */
  const cached = (kind: Kind, key: string) => {
    const ns = parseKey(key).namespace;
    const relevant = watched.filter((w) => sameKind(w.source.kind, kind) && (w.source.opts.namespace === undefined || w.source.opts.namespace === ns));
    // The primary kind is answered by the primary informers alone: what their selectors (shard
    // ones included) exclude is not this controller's, however many informers there are.
    const primary = relevant.filter((w) => w.source.map === 'self');
    if (primary.length > 0) {
      for (const w of primary) {
        const obj = w.informer.store.get(key);
        if (obj) return { watched: true as const, obj, metadataOnly: false };
      }
      return { watched: true as const, obj: undefined, metadataOnly: false };
    }
    let meta: Watched | undefined;
    for (const w of relevant) {
      const obj = w.informer.store.get(key);
      // A label-filtered informer cannot say an object is absent: it may just not match.
      if (w.labelSelector !== undefined && !obj) continue;
      if (w.source.opts.metadataOnly) meta ??= w;
      else return { watched: true as const, obj, metadataOnly: false };
    }
    if (meta) return { watched: true as const, obj: meta.informer.store.get(key), metadataOnly: true };
    return { watched: false as const };
  };

  // With two primary informers (labelled and unlabelled), an object whose label was just set or
  // removed is briefly in neither: the watch it leaves reports a delete before the other reports
  // the add. The reconcile that delete causes must not take a live object for a deleted one, so
  // absence from both is confirmed with one read (deletions are rare; this costs one GET each).
  const confirmAbsent =
    labelMode && shard && primaries.length > 1
      ? async (kind: Kind, key: ObjectKey): Promise<KubeObject | undefined> => {
          if (!sameKind(kind, def.primary)) return undefined;
          try {
            const obj = await deps.client.get(def.primary, key, { signal: abort.signal });
            return shard.owns(obj) ? obj : undefined;
          } catch (e) {
            if (isNotFound(e)) return undefined;
            throw e;
          }
        }
      : undefined;

  const reconcileOne = async (key: string) => {
    const req = parseKey(key);
    const reconcileID = randomUUID();
    const rlog = log.child({ [def.primary.kind]: req, namespace: req.namespace, name: req.name, reconcileID });
    const ctx = createReconcileContext({
      controller: name,
      client: deps.client,
      cache: deps.cache,
      log: rlog,
      recorder: deps.recorder,
      signal: abort.signal,
      kinds: deps.kinds,
      finalizers: deps.finalizers,
      cached,
      applies,
      ...(labelMode && shard ? { shardLabel: { label: shard.label, count: shard.count } } : {}),
      ...(confirmAbsent ? { confirmAbsent } : {}),
    });
    const started = performance.now();
    m.activeWorkers.inc(labels);
    rlog.debug('reconciling');
    try {
      const outcome = outcomeOf(await def.reconciler(req, ctx));
      rlog.debug('reconciled', { result: outcome.kind, ms: Math.round(performance.now() - started) });
      switch (outcome.kind) {
        case 'done':
          queue.forget(key);
          m.reconcileTotal.inc({ controller: name, result: 'success' });
          break;
        case 'requeueAfter':
          // A planned wait, not a failure: the backoff history is cleared.
          queue.forget(key);
          queue.addAfter(key, outcome.ms);
          m.reconcileTotal.inc({ controller: name, result: 'requeue_after' });
          break;
        case 'requeue':
          queue.addRateLimited(key);
          m.reconcileTotal.inc({ controller: name, result: 'requeue' });
          break;
      }
    } catch (err) {
      m.reconcileErrors.inc(labels);
      m.reconcileTotal.inc({ controller: name, result: 'error' });
      if (isTerminal(err)) {
        m.terminalReconcileErrors.inc(labels);
        queue.forget(key);
        rlog.error('reconciler error (terminal, not retried)', { err });
      } else {
        queue.addRateLimited(key);
        // A conflict means our read was stale; the retry with fresh data is the normal fix.
        if (isConflict(err)) rlog.info('conflict, retrying with fresh data', { err, retries: queue.numRequeues(key) });
        // Reconciles cut off by a shutdown past its grace period fail by design; stop() has
        // already warned how many were in flight, so one error line each would only be noise.
        else if (abort.signal.aborted) rlog.debug('reconcile ended by shutdown', { err });
        else rlog.error('reconciler error', { err, retries: queue.numRequeues(key) });
      }
    } finally {
      m.activeWorkers.dec(labels);
      m.reconcileTime.observe(labels, (performance.now() - started) / 1000);
    }
  };

  const workers: Promise<void>[] = [];
  let resyncTimer: NodeJS.Timeout | undefined;

  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await reconcileOne(key);
      } finally {
        queue.done(key);
      }
    }
  };

  const resync = () => {
    for (const p of primaries) for (const k of p.store.keys()) enqueue(k);
  };

  const scheduleResync = () => {
    if (def.resyncPeriodMs <= 0) return;
    const ms = def.resyncPeriodMs * (0.9 + Math.random() * 0.2);
    resyncTimer = setTimeout(() => {
      resync();
      scheduleResync();
    }, ms);
    resyncTimer.unref();
  };

  return {
    name,
    queue,
    enqueue,
    resync,
    running: () => workers.length > 0 && !queue.shuttingDown,
    startWorkers() {
      if (workers.length > 0 || queue.shuttingDown) return;
      log.info('starting workers', { workerCount: def.concurrency });
      for (let i = 0; i < def.concurrency; i++) workers.push(worker());
      scheduleResync();
    },
    async stop(graceMs) {
      if (resyncTimer) clearTimeout(resyncTimer);
      const drained = queue.shutdown();
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
      const r = await Promise.race([drained.then(() => 'drained' as const), graceOver]);
      clearTimeout(timer);
      if (r === 'timeout') {
        log.warn('shutdown grace period over; aborting reconciles still running', { inFlight: queue.inFlight() });
        abort.abort(new Error('controller stopping'));
      }
      for (const w of watched) await w.informer.stop();
      log.info('stopped');
    },
  };
}
