// The configuration as a ConfigMap read through the Kubernetes API: an update reaches the agent
// as soon as the apiserver has it, instead of after the kubelet's 60-90 s volume sync. The loop
// is list-then-watch, both narrowed to the one name by a field selector: the list works whether
// or not the ConfigMap exists yet (so its creation is seen at once), and when the watch ends for
// any reason (server timeout, 410 Gone after compaction, apiserver restart) the loop lists again,
// so no change is missed and a dropped connection costs one small LIST.
//
// followConfigMap is the loop itself, and tells apart what fallback-source.ts needs to know: a
// list (the ConfigMap as it is now, possibly skipping versions since the last one) from a
// watch event (the next version: one watch misses none), and a failure from a refusal (401,
// 403). apiConfigSource is the loop as a ConfigSource of its own.
import { ConfigMap, isForbidden, isUnauthorized, type Client } from '@tugboat/runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import { sameFiles, sameState, type ApiCondition, type ConfigSnapshot, type ConfigSource, type SourceState } from './source.js';

export interface ApiSourceOptions {
  namespace: string;
  name: string;
  /** The ConfigMap key that must be present for a snapshot to count. Default haproxy.cfg. */
  requiredKey?: string;
  /** Seconds the apiserver keeps one watch open. Default 300. */
  watchTimeoutSeconds?: number;
  /**
   * A watch that delivers nothing, not even the apiserver's periodic bookmark, for this long
   * is taken for a half-open connection and ended as a failure. Default 150 s.
   */
  stallTimeoutMs?: number;
  /** A list that has not answered after this long fails. Default 15 s. */
  listTimeoutMs?: number;
  /** The longest wait between two attempts after failures. Default 30 s. */
  maxBackoffMs?: number;
  /** Called on every error the loop recovers from (for logs). */
  onError?: (err: unknown) => void;
}

/** What the source needs from a client: @tugboat/runtime's Client satisfies it. */
export type ConfigMapReader = Pick<Client, 'list' | 'watch'>;

export interface ConfigMapFeed {
  /**
   * A list succeeded: the bundle now, or undefined when there is no ConfigMap (or one without
   * the required key). Every `changed` until the next `listed` comes from one watch.
   */
  listed(snapshot: ConfigSnapshot | undefined): void;
  /** The watch delivered a new version of the bundle. */
  changed(snapshot: ConfigSnapshot): void;
  /** A list or watch failed; the loop tries again after a growing pause. */
  failed(err: unknown, condition: Exclude<ApiCondition, 'connecting' | 'connected'>): void;
}

class WatchStalled extends Error {
  constructor(ms: number) {
    super(`the ConfigMap watch delivered nothing for ${Math.round(ms / 1000)}s`);
    this.name = 'WatchStalled';
  }
}

export function isDenied(err: unknown): boolean {
  return isForbidden(err) || isUnauthorized(err);
}

export async function followConfigMap(client: ConfigMapReader, opts: ApiSourceOptions, feed: ConfigMapFeed, signal: AbortSignal): Promise<void> {
  const required = opts.requiredKey ?? 'haproxy.cfg';
  const stallMs = opts.stallTimeoutMs ?? 150_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const fieldSelector = `metadata.name=${opts.name}`;
  const snapshotOf = (cm: ConfigMap): ConfigSnapshot | undefined => {
    const files = { ...(cm.data ?? {}) };
    if (files[required] === undefined) return undefined;
    return { files, origin: `${opts.namespace}/${opts.name}@${cm.metadata.resourceVersion ?? ''}` };
  };
  let backoffMs = 250;
  while (!signal.aborted) {
    const attempt = new AbortController();
    const stopAttempt = () => attempt.abort();
    signal.addEventListener('abort', stopAttempt);
    let lastData = Date.now();
    let stalled = false;
    const watchdog = setInterval(() => {
      if (Date.now() - lastData > stallMs) {
        stalled = true;
        attempt.abort();
      }
    }, Math.max(50, Math.min(stallMs / 5, 5_000)));
    try {
      const list = await client.list(ConfigMap, {
        namespace: opts.namespace,
        fieldSelector,
        signal: AbortSignal.any([attempt.signal, AbortSignal.timeout(opts.listTimeoutMs ?? 15_000)]),
      });
      const current = list.items[0];
      feed.listed(current !== undefined ? snapshotOf(current) : undefined);
      lastData = Date.now();
      const events = client.watch(ConfigMap, {
        namespace: opts.namespace,
        fieldSelector,
        resourceVersion: list.metadata.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: opts.watchTimeoutSeconds ?? 300,
        signal: attempt.signal,
      });
      for await (const ev of events) {
        lastData = Date.now();
        backoffMs = 250;
        // A deleted ConfigMap leaves the running configuration alone: serving on is safer.
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
        const snapshot = snapshotOf(ev.object);
        if (snapshot !== undefined) feed.changed(snapshot);
      }
      // The client ends an aborted watch quietly; a stall is a failure all the same.
      if (stalled && !signal.aborted) throw new WatchStalled(stallMs);
    } catch (err) {
      if (signal.aborted) break;
      const failure = stalled ? new WatchStalled(stallMs) : err;
      opts.onError?.(failure);
      feed.failed(failure, isDenied(failure) ? 'denied' : 'unreachable');
      await sleep(backoffMs, undefined, { signal }).catch(() => {});
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', stopAttempt);
    }
  }
}

export function apiConfigSource(client: ConfigMapReader, opts: ApiSourceOptions): ConfigSource {
  return {
    async run(onSnapshot, signal, onState): Promise<void> {
      let last: Record<string, string> | undefined;
      let state: SourceState | undefined;
      const since = new Date().toISOString();
      const setState = (api: ApiCondition, error?: unknown) => {
        const next: SourceState = { active: 'api', api, ...(error !== undefined ? { apiError: errorText(error) } : {}), since };
        if (sameState(state, next)) return;
        state = next;
        onState?.(next);
      };
      const offer = (s: ConfigSnapshot | undefined) => {
        if (s === undefined || (last !== undefined && sameFiles(last, s.files))) return;
        last = s.files;
        onSnapshot(s);
      };
      setState('connecting');
      await followConfigMap(
        client,
        opts,
        {
          listed: (s) => {
            setState('connected');
            offer(s);
          },
          changed: offer,
          failed: (err, condition) => setState(condition, err),
        },
        signal,
      );
    },
  };
}

export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
