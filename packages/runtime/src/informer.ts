// An informer keeps a Store in step with the apiserver for one (kind, namespace, selector) and
// tells handlers what changed. Its reflector loop is where watch robustness lives:
//
//   sync     WatchList (sendInitialEvents) when the apiserver allows it, else a paginated LIST;
//            either way the store is swapped in one step and the difference reported.
//   watch    from the last seen resourceVersion, bookmarks on, server timeout random in
//            [base, 2*base) so many informers do not reconnect in lockstep.
//   resume   a watch the server ends is reopened from the last resourceVersion (bookmarks keep
//            it fresh even when nothing in our selection changes); 410 Gone means that version
//            was compacted away, so the informer syncs again and reports the difference.
//   backoff  any other failure waits a jittered, growing delay; the first successful watch
//            resets it.
//   watchdog a watch that delivers nothing, not even the periodic bookmark, for stallTimeoutMs
//            is aborted and reopened, and health() reports the informer stalled until data flows
//            again. This catches half-open connections the apiserver's timeout never reaches.
import { createBackoff, sleep, type BackoffOptions } from './backoff.js';
import type { Client } from './client.js';
import { isGone, isInvalid, isApiError } from './errors.js';
import type { PartialObjectMetadata } from './kinds.js';
import { apiVersionOf, keyOf, type Kind, type KubeObject } from './object.js';
import { createStore, type Store } from './store.js';
import { isInitialEventsEnd, type WatchEvent } from './watch.js';

export interface EventHandler<T> {
  /** `initial` is true for objects found by a (re)sync or replayed to a late handler. */
  onAdd?(obj: T, initial: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export type Transform<T> = (obj: T) => T;

export interface InformerOptions<T extends KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects are transformed once on arrival, before storing. Default: stripManagedFields. */
  transform?: Transform<T>;
  /** Deep-freeze stored objects so a handler cannot corrupt the cache by mutating one. Default true. */
  freeze?: boolean;
  /** Try WatchList (streamed initial state) before LIST. Default true. */
  watchList?: boolean;
  /** LIST page size. Default 500. */
  pageSize?: number;
  /** Server-side watch timeout base in seconds; each watch draws from [base, 2*base). Default 300. */
  watchTimeoutSeconds?: number;
  /** Restart a watch that delivered nothing for this long. Must exceed the apiserver's bookmark interval (~60 s). Default 150 s. */
  stallTimeoutMs?: number;
  /** Deliver onUpdate(obj, obj) for every object this often (0 = never). Default 0. */
  resyncPeriodMs?: number;
  backoff?: BackoffOptions;
  /** Errors the loop recovered from (failed requests, throwing handlers); for logging. */
  onError?: (err: unknown, context: string) => void;
  /** Name used in health reports; derived from kind and selectors by default. */
  name?: string;
}

export interface InformerStats {
  /** Full syncs (the first one and every one after 410 Gone). */
  syncs: number;
  /** Watches opened. */
  watches: number;
  bookmarks: number;
  events: number;
  /** Times the watchdog aborted a silent watch. */
  stalls: number;
  /** Syncs that had to be done with LIST because WatchList was refused. */
  watchListFallbacks: number;
}

export interface InformerHealth {
  name: string;
  synced: boolean;
  /** No data from the apiserver for longer than stallTimeoutMs. */
  stalled: boolean;
  /** Milliseconds since the last data from the apiserver. */
  idleMs: number;
  lastError?: string;
  resourceVersion: string;
}

export interface Informer<T extends KubeObject> {
  readonly kind: Kind;
  readonly name: string;
  readonly store: Store<T>;
  on(event: 'add', handler: (obj: T, initial: boolean) => void): () => void;
  on(event: 'update', handler: (oldObj: T, newObj: T) => void): () => void;
  on(event: 'delete', handler: (obj: T) => void): () => void;
  /** Registers handlers; a handler added after sync first gets onAdd for what is stored. Returns a remover. */
  addHandler(handler: EventHandler<T>): () => void;
  hasSynced(): boolean;
  /** Resolves true once synced, false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  start(): void;
  stop(): Promise<void>;
  health(): InformerHealth;
  stats(): InformerStats;
  /** The resourceVersion the next watch would resume from ('' before the first sync). */
  lastSyncResourceVersion(): string;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The default transform: drops managedFields and kubectl's last-applied annotation, which are often most of an object's bytes. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata;
  const hasLastApplied = meta.annotations !== undefined && Object.hasOwn(meta.annotations, LAST_APPLIED);
  if (meta.managedFields === undefined && !hasLastApplied) return obj;
  const { managedFields: _drop, ...rest } = meta;
  const metadata = { ...rest };
  if (hasLastApplied && meta.annotations) {
    const { [LAST_APPLIED]: _gone, ...annotations } = meta.annotations;
    metadata.annotations = annotations;
  }
  return { ...obj, metadata };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

export function describeInformer(kind: Kind, o: { namespace?: string | undefined; labelSelector?: string | undefined; fieldSelector?: string | undefined; metadataOnly?: boolean | undefined }): string {
  const parts = [`${apiVersionOf(kind)}/${kind.kind}`];
  if (o.namespace) parts.push(`namespace=${o.namespace}`);
  if (o.labelSelector) parts.push(`labels=${o.labelSelector}`);
  if (o.fieldSelector) parts.push(`fields=${o.fieldSelector}`);
  if (o.metadataOnly) parts.push('metadata-only');
  return parts.join(' ');
}

/** Reason the watchdog aborts a silent watch; distinguishes it from stop(). */
class StallAbort extends Error {
  constructor() {
    super('watch stalled');
  }
}

export function createInformer<T extends KubeObject>(client: Client, kind: Kind<T>, opts?: InformerOptions<T> & { metadataOnly?: false }): Informer<T>;
export function createInformer<T extends KubeObject>(
  client: Client,
  kind: Kind<T>,
  opts: InformerOptions<PartialObjectMetadata> & { metadataOnly: true },
): Informer<PartialObjectMetadata>;
export function createInformer<T extends KubeObject>(
  client: Client,
  kind: Kind<T>,
  opts: InformerOptions<KubeObject> & { metadataOnly?: boolean },
): Informer<KubeObject>;
export function createInformer(
  client: Client,
  kind: Kind,
  // The overloads tie `transform` to the object type; here it is only called on what arrives.
  opts: Omit<InformerOptions<KubeObject>, 'transform'> & { metadataOnly?: boolean; transform?: (obj: never) => unknown } = {},
): Informer<KubeObject> {
  const name = opts.name ?? describeInformer(kind, opts);
  const metadataOnly = opts.metadataOnly === true;
  const transform = (opts.transform as Transform<KubeObject> | undefined) ?? stripManagedFields;
  const freeze = opts.freeze ?? true;
  const pageSize = opts.pageSize ?? 500;
  const baseTimeout = opts.watchTimeoutSeconds ?? 300;
  const stallTimeoutMs = opts.stallTimeoutMs ?? 150_000;
  const backoff = createBackoff(opts.backoff);
  const store = createStore<KubeObject>();
  const handlers = new Set<EventHandler<KubeObject>>();
  const stats: InformerStats = { syncs: 0, watches: 0, bookmarks: 0, events: 0, stalls: 0, watchListFallbacks: 0 };
  const stopController = new AbortController();
  const syncWaiters = new Set<() => void>();

  let useWatchList = opts.watchList ?? true;
  let rv = '';
  let synced = false;
  let started = false;
  let loop: Promise<void> | undefined;
  let lastContact = Date.now();
  // Start of the current attempt: a request that never answers is as silent as a watch that
  // never sends, so the watchdog measures from whichever is later.
  let attemptStart = Date.now();
  let attempt: AbortController | undefined;
  let lastError: string | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;

  const report = (err: unknown, context: string) => {
    lastError = `${context}: ${err instanceof Error ? err.message : String(err)}`;
    opts.onError?.(err, `${name}: ${context}`);
  };

  const dispatch = (fn: (h: EventHandler<KubeObject>) => void) => {
    for (const h of handlers) {
      try {
        fn(h);
      } catch (e) {
        report(e, 'event handler threw');
      }
    }
  };

  const prepare = (obj: KubeObject): KubeObject => {
    const t = transform(obj);
    return freeze ? deepFreeze(t) : t;
  };

  const contact = () => {
    lastContact = Date.now();
  };

  const markSynced = () => {
    if (synced) return;
    synced = true;
    for (const w of syncWaiters) w();
    syncWaiters.clear();
  };

  const applySync = (objs: KubeObject[], resourceVersion: string) => {
    const diff = store.replace(objs);
    rv = resourceVersion;
    stats.syncs++;
    for (const o of diff.added) dispatch((h) => h.onAdd?.(o, true));
    for (const u of diff.updated) dispatch((h) => h.onUpdate?.(u.old, u.new));
    for (const o of diff.deleted) dispatch((h) => h.onDelete?.(o));
    markSynced();
  };

  const applyEvent = (ev: WatchEvent<KubeObject>) => {
    const newRv = ev.object.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      stats.bookmarks++;
      if (newRv) rv = newRv;
      return;
    }
    stats.events++;
    const obj = prepare(ev.object);
    if (ev.type === 'DELETED') {
      const old = store.remove(keyOf(obj));
      dispatch((h) => h.onDelete?.(old ?? obj));
    } else {
      const old = store.upsert(obj);
      if (old === undefined) dispatch((h) => h.onAdd?.(obj, false));
      else dispatch((h) => h.onUpdate?.(old, obj));
    }
    if (newRv) rv = newRv;
  };

  const watchTimeout = () => Math.floor(baseTimeout * (1 + Math.random()));

  const newAttempt = () => {
    attempt = new AbortController();
    attemptStart = Date.now();
    return AbortSignal.any([attempt.signal, stopController.signal]);
  };

  const listSync = async () => {
    const signal = newAttempt();
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let listRv = '';
    let limit: number | undefined = pageSize;
    for (;;) {
      let page;
      try {
        page = await client.list(kind, { namespace: opts.namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit, continue: cont, metadataOnly, signal });
      } catch (e) {
        // An expired continue token: start over with one unpaginated LIST.
        if (isGone(e) && cont !== undefined) {
          items.length = 0;
          cont = undefined;
          limit = undefined;
          continue;
        }
        throw e;
      }
      contact();
      attemptStart = Date.now();
      if (cont === undefined) listRv = page.metadata.resourceVersion ?? '';
      for (const o of page.items) items.push(prepare(o));
      cont = page.metadata.continue || undefined;
      if (cont === undefined) break;
    }
    applySync(items, listRv);
  };

  /** One watch; with `initial` it is a WatchList stream that first rebuilds the store. */
  const watchOnce = async (initial: boolean) => {
    const signal = newAttempt();
    const timeoutSeconds = watchTimeout();
    const collected = new Map<string, KubeObject>();
    let initialDone = !initial;
    const events = client.watch(kind, {
      namespace: opts.namespace,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      metadataOnly,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
      ...(initial ? { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' as const } : { resourceVersion: rv }),
      onOpen: () => {
        stats.watches++;
        contact();
        backoff.reset();
      },
    });
    for await (const ev of events) {
      contact();
      if (initialDone) {
        applyEvent(ev);
        continue;
      }
      if (isInitialEventsEnd(ev)) {
        initialDone = true;
        applySync([...collected.values()], ev.object.metadata.resourceVersion ?? '');
        collected.clear();
      } else if (ev.type === 'DELETED') {
        collected.delete(keyOf(ev.object));
      } else if (ev.type !== 'BOOKMARK') {
        collected.set(keyOf(ev.object), prepare(ev.object));
      }
    }
    if (signal.aborted && attempt?.signal.reason instanceof StallAbort) throw attempt.signal.reason;
  };

  const watchdog = () => {
    if (!attempt || attempt.signal.aborted) return;
    const idle = Date.now() - Math.max(lastContact, attemptStart);
    if (idle > stallTimeoutMs) {
      stats.stalls++;
      report(new Error(`no data from the apiserver for ${Math.round(idle / 1000)}s; restarting the watch`), 'watchdog');
      attempt.abort(new StallAbort());
    }
  };

  const run = async () => {
    const stop = stopController.signal;
    const timer = setInterval(watchdog, Math.max(50, Math.min(stallTimeoutMs / 5, 5_000)));
    timer.unref();
    let consecutiveGone = 0;
    try {
      while (!stop.aborted) {
        try {
          if (rv === '') {
            if (useWatchList) {
              try {
                await watchOnce(true);
              } catch (e) {
                // The apiserver refuses sendInitialEvents (WatchList feature off or unsupported
                // by this resource's storage): use LIST from now on.
                if (!isInvalid(e) && !(isApiError(e) && e.reason === 'BadRequest')) throw e;
                useWatchList = false;
                stats.watchListFallbacks++;
                report(e, 'WatchList refused, falling back to LIST');
                await listSync();
              }
            } else {
              await listSync();
            }
          }
          if (rv !== '') await watchOnce(false);
          consecutiveGone = 0;
        } catch (e) {
          if (stop.aborted) break;
          if (isGone(e)) {
            // Our resourceVersion was compacted away: sync from scratch. At once the first
            // time; with backoff if the apiserver keeps answering Gone.
            rv = '';
            if (consecutiveGone++ === 0) continue;
          } else if (e instanceof StallAbort || (attempt?.signal.aborted === true && attempt.signal.reason instanceof StallAbort)) {
            // The watchdog already waited a full stall period; try again at once.
            continue;
          } else {
            report(e, rv === '' ? 'sync failed' : 'watch failed');
          }
          await sleep(backoff.next(), stop);
        }
      }
    } finally {
      clearInterval(timer);
    }
  };

  const informer: Informer<KubeObject> = {
    kind,
    name,
    store,
    on(event: 'add' | 'update' | 'delete', handler: (...args: never[]) => void) {
      const h: EventHandler<KubeObject> =
        event === 'add'
          ? { onAdd: handler as EventHandler<KubeObject>['onAdd'] }
          : event === 'update'
            ? { onUpdate: handler as EventHandler<KubeObject>['onUpdate'] }
            : { onDelete: handler as EventHandler<KubeObject>['onDelete'] };
      return informer.addHandler(h);
    },
    addHandler(handler) {
      handlers.add(handler);
      if (synced) {
        for (const o of store.list()) {
          try {
            handler.onAdd?.(o, true);
          } catch (e) {
            report(e, 'event handler threw');
          }
        }
      }
      return () => {
        handlers.delete(handler);
      };
    },
    hasSynced: () => synced,
    waitForSync(signal) {
      if (synced) return Promise.resolve(true);
      if (signal?.aborted || stopController.signal.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const onAbort = () => {
          syncWaiters.delete(onSynced);
          resolve(false);
        };
        const onSynced = () => {
          signal?.removeEventListener('abort', onAbort);
          stopController.signal.removeEventListener('abort', onAbort);
          resolve(true);
        };
        syncWaiters.add(onSynced);
        signal?.addEventListener('abort', onAbort, { once: true });
        stopController.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    start() {
      if (stopController.signal.aborted) throw new Error(`informer ${name} was stopped; create a new one`);
      if (started) return;
      started = true;
      lastContact = Date.now();
      loop = run();
      if (opts.resyncPeriodMs) {
        resyncTimer = setInterval(() => {
          if (!synced) return;
          for (const o of store.list()) dispatch((h) => h.onUpdate?.(o, o));
        }, opts.resyncPeriodMs);
        resyncTimer.unref();
      }
    },
    async stop() {
      stopController.abort();
      if (resyncTimer) clearInterval(resyncTimer);
      await loop;
    },
    health() {
      const idleMs = Date.now() - lastContact;
      return {
        name,
        synced,
        stalled: started && !stopController.signal.aborted && idleMs > stallTimeoutMs,
        idleMs,
        ...(lastError !== undefined ? { lastError } : {}),
        resourceVersion: rv,
      };
    },
    stats: () => ({ ...stats }),
    lastSyncResourceVersion: () => rv,
  };
  return informer;
}
