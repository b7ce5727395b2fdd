// The configuration as a ConfigMap read through the Kubernetes API: an update reaches the agent
// as soon as the apiserver has it, instead of after the kubelet's 60-90 s volume sync. The loop
// is list-then-watch, both narrowed to the one name by a field selector: the list works whether
// or not the ConfigMap exists yet (so its creation is seen at once), and when the watch ends for
// any reason (server timeout, 410 Gone after compaction, apiserver restart) the loop lists again,
// so no change is missed and a dropped connection costs one small LIST.
import { ConfigMap, type Client } from '@tugboat/runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import { sameFiles, type ConfigSnapshot, type ConfigSource } from './source.js';

export interface ApiSourceOptions {
  namespace: string;
  name: string;
  /** The ConfigMap key that must be present for a snapshot to count. Default haproxy.cfg. */
  requiredKey?: string;
  /** Seconds the apiserver keeps one watch open. Default 300. */
  watchTimeoutSeconds?: number;
  /** Called on every error the loop recovers from (for logs). */
  onError?: (err: unknown) => void;
}

/** What the source needs from a client: @tugboat/runtime's Client satisfies it. */
export type ConfigMapReader = Pick<Client, 'list' | 'watch'>;

export function apiConfigSource(client: ConfigMapReader, opts: ApiSourceOptions): ConfigSource {
  const required = opts.requiredKey ?? 'haproxy.cfg';
  return {
    async run(onSnapshot: (s: ConfigSnapshot) => void, signal: AbortSignal): Promise<void> {
      let last: Record<string, string> | undefined;
      let backoffMs = 250;
      const offer = (cm: ConfigMap) => {
        const files = { ...(cm.data ?? {}) };
        if (files[required] === undefined) return;
        if (last !== undefined && sameFiles(last, files)) return;
        last = files;
        onSnapshot({ files, origin: `${opts.namespace}/${opts.name}@${cm.metadata.resourceVersion ?? ''}` });
      };
      while (!signal.aborted) {
        try {
          const fieldSelector = `metadata.name=${opts.name}`;
          const list = await client.list(ConfigMap, { namespace: opts.namespace, fieldSelector, signal });
          for (const cm of list.items) offer(cm);
          const events = client.watch(ConfigMap, {
            namespace: opts.namespace,
            fieldSelector,
            resourceVersion: list.metadata.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: opts.watchTimeoutSeconds ?? 300,
            signal,
          });
          for await (const ev of events) {
            backoffMs = 250;
            // A deleted ConfigMap leaves the running configuration alone: serving on is safer.
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED') offer(ev.object);
          }
        } catch (err) {
          if (signal.aborted) break;
          opts.onError?.(err);
          await sleep(backoffMs, undefined, { signal }).catch(() => {});
          backoffMs = Math.min(backoffMs * 2, 30_000);
        }
      }
    },
  };
}
