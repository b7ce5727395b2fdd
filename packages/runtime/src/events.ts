// An events.k8s.io/v1 recorder. Events are how a controller talks to the person running
// `kubectl describe`: what it did and what went wrong. Controllers repeat themselves (the same
// warning on every retry), so repeats are aggregated the way client-go's events/v1 broadcaster
// does it: the first occurrence creates an Event, later identical ones only raise
// `series.count` and `series.lastObservedTime` on that same object, written at most once per
// `seriesFlushMs`. After `seriesTtlMs` without a repeat the series ends and the next
// occurrence starts a new Event.
//
// Recording never throws and never blocks a reconcile: writes happen in the background and
// failures are logged. Notes are for people; never put secrets in them.
import { randomBytes } from 'node:crypto';
import type { Client } from './client.js';
import { isNotFound } from './errors.js';
import { Event } from './kinds.js';
import { silentLogger, type Logger } from './log.js';
import type { KubeObject } from './object.js';

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  type?: EventType;
  /** Why (CamelCase), e.g. `AddressAllocated`, `ApplyFailed`. */
  reason: string;
  /** What the controller did or failed to do, e.g. `Allocate`, `Reconcile`. */
  action: string;
  /** Human-readable, at most 1 kB. */
  note?: string;
  /** A second object involved (e.g. the Pod a Deployment event is about). */
  related?: KubeObject;
}

export interface EventRecorder {
  event(regarding: KubeObject, e: EventInput): void;
  normal(regarding: KubeObject, reason: string, note?: string, action?: string): void;
  warning(regarding: KubeObject, reason: string, note?: string, action?: string): void;
}

export interface EventBroadcaster {
  /** A recorder whose events name `controller` as their reportingController. */
  recorderFor(controller: string): EventRecorder;
  /** Writes pending series counts now; resolves when every write so far has finished. */
  flush(): Promise<void>;
  /** Flushes and stops; later events are dropped. */
  close(): Promise<void>;
  /** Events recorded / created / aggregated / dropped so far (for tests and debugging). */
  stats(): { recorded: number; created: number; aggregated: number; dropped: number };
}

export interface EventBroadcasterOptions {
  /** Who reports: usually the manager's identity (hostname + random suffix). */
  reportingInstance: string;
  /** reportingController is `<prefix>/<controller>`. Default `tugboat.dev`. */
  controllerPrefix?: string;
  log?: Logger;
  /** How often a series' count is written at most. Default 10 s. */
  seriesFlushMs?: number;
  /** A series ends after this long without a repeat. Default 6 min (client-go). */
  seriesTtlMs?: number;
  /** Distinct events per object: burst, then one more every `perObjectRefillMs`. Default 25 / 5 min (client-go's spam filter). */
  perObjectBurst?: number;
  perObjectRefillMs?: number;
  now?: () => Date;
}

const NOTE_MAX = 1024;
const MAX_SERIES = 4096;

/** MicroTime: RFC 3339 with six fractional digits, as the apiserver requires for eventTime. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  lastObserved: Date;
  /** The write chain for this Event: creation, then series patches, strictly in order. */
  chain: Promise<void>;
  created: boolean;
  failed: boolean;
  flushTimer: NodeJS.Timeout | undefined;
  flushedCount: number;
}

function refOf(o: KubeObject) {
  const r: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string; resourceVersion?: string } = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name ?? '',
  };
  if (o.metadata.namespace) r.namespace = o.metadata.namespace;
  if (o.metadata.uid) r.uid = o.metadata.uid;
  return r;
}

export function createEventBroadcaster(client: Client, opts: EventBroadcasterOptions): EventBroadcaster {
  const log = opts.log ?? silentLogger;
  const prefix = opts.controllerPrefix ?? 'tugboat.dev';
  const flushMs = opts.seriesFlushMs ?? 10_000;
  const ttlMs = opts.seriesTtlMs ?? 6 * 60_000;
  const burst = opts.perObjectBurst ?? 25;
  const refillMs = opts.perObjectRefillMs ?? 5 * 60_000;
  const now = opts.now ?? (() => new Date());
  const series = new Map<string, Series>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const stats = { recorded: 0, created: 0, aggregated: 0, dropped: 0 };
  let closed = false;

  const takeToken = (objectKey: string): boolean => {
    const t = now().getTime();
    const b = buckets.get(objectKey) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + (t - b.at) / refillMs);
    b.at = t;
    if (b.tokens < 1) {
      buckets.set(objectKey, b);
      return false;
    }
    b.tokens -= 1;
    buckets.set(objectKey, b);
    return true;
  };

  const writeSeries = (s: Series) => {
    if (s.flushTimer) clearTimeout(s.flushTimer);
    s.flushTimer = undefined;
    s.chain = s.chain.then(async () => {
      if (!s.created || s.failed || s.count === s.flushedCount) return;
      const count = s.count;
      try {
        await client.patch(Event, { namespace: s.namespace, name: s.name }, { series: { count, lastObservedTime: microTime(s.lastObserved) } }, 'merge');
        s.flushedCount = count;
      } catch (e) {
        // The Event expired (TTL) or was deleted: end the series; the next repeat starts anew.
        if (isNotFound(e)) s.failed = true;
        log.debug('could not update event series', { event: s.name, namespace: s.namespace, err: e });
      }
    });
  };

  const prune = (t: number) => {
    if (series.size < MAX_SERIES) return;
    for (const [k, s] of series) if (t - s.lastObserved.getTime() > ttlMs || s.failed) series.delete(k);
    // Still full: forget the oldest half. They only lose aggregation, never an event.
    if (series.size >= MAX_SERIES) [...series.keys()].slice(0, MAX_SERIES / 2).forEach((k) => series.delete(k));
  };

  const record = (reportingController: string, regarding: KubeObject, e: EventInput) => {
    if (closed) return;
    stats.recorded++;
    const type = e.type ?? 'Normal';
    const note = (e.note ?? '').slice(0, NOTE_MAX);
    const reg = refOf(regarding);
    const related = e.related ? refOf(e.related) : undefined;
    const key = JSON.stringify([reportingController, reg.apiVersion, reg.kind, reg.namespace, reg.name, reg.uid, related, type, e.reason, e.action, note]);
    const t = now();
    const existing = series.get(key);
    if (existing && !existing.failed && t.getTime() - existing.lastObserved.getTime() <= ttlMs) {
      stats.aggregated++;
      existing.count++;
      existing.lastObserved = t;
      // The first repeat is written at once (so `kubectl describe` shows "x2" promptly); later
      // ones are coalesced.
      if (existing.count === 2) writeSeries(existing);
      else if (!existing.flushTimer) {
        existing.flushTimer = setTimeout(() => writeSeries(existing), flushMs);
        // A pending count update is not a reason to keep the process alive; close() flushes.
        existing.flushTimer.unref();
      }
      return;
    }
    if (!takeToken(`${reg.kind}/${reg.namespace ?? ''}/${reg.name}`)) {
      stats.dropped++;
      return;
    }
    prune(t.getTime());
    // Events of cluster-scoped objects live in `default`, as kubectl and client-go expect.
    const namespace = reg.namespace ?? 'default';
    const name = `${reg.name}.${t.getTime().toString(16)}${randomBytes(3).toString('hex')}`.slice(-253).replace(/^[.-]+/, '');
    const s: Series = { name, namespace, count: 1, lastObserved: t, chain: Promise.resolve(), created: false, failed: false, flushTimer: undefined, flushedCount: 1 };
    series.set(key, s);
    const ev: Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(t),
      reportingController,
      reportingInstance: opts.reportingInstance.slice(0, 128),
      action: e.action.slice(0, 128),
      reason: e.reason.slice(0, 128),
      type,
      regarding: reg,
    };
    if (note !== '') ev.note = note;
    if (related) ev.related = related;
    s.chain = s.chain.then(async () => {
      try {
        await client.create(Event, ev);
        s.created = true;
        stats.created++;
      } catch (err) {
        s.failed = true;
        log.warn('could not record event', { reason: e.reason, regarding: `${reg.kind} ${reg.namespace ?? ''}/${reg.name}`, err });
      }
    });
  };

  const recorderFor = (controller: string): EventRecorder => {
    const rc = `${prefix}/${controller}`;
    return {
      event: (regarding, e) => record(rc, regarding, e),
      normal: (regarding, reason, note, action) => record(rc, regarding, { type: 'Normal', reason, action: action ?? reason, ...(note !== undefined ? { note } : {}) }),
      warning: (regarding, reason, note, action) => record(rc, regarding, { type: 'Warning', reason, action: action ?? reason, ...(note !== undefined ? { note } : {}) }),
    };
  };

  const flush = async () => {
    for (const s of series.values()) if (s.count !== s.flushedCount) writeSeries(s);
    await Promise.all([...series.values()].map((s) => s.chain));
  };

  return {
    recorderFor,
    flush,
    async close() {
      if (closed) return;
      await flush();
      closed = true;
      for (const s of series.values()) if (s.flushTimer) clearTimeout(s.flushTimer);
      series.clear();
    },
    stats: () => ({ ...stats }),
  };
}
