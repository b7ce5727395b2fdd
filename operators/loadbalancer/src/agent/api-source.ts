// The configuration as a ConfigMap read through the Kubernetes API: an update reaches the agent
// as soon as the apiserver has it, instead of after the kubelet's 60-90 s volume sync. The loop
// is get-then-watch from the object's resourceVersion; when the watch ends for any reason
// (server timeout, 410 Gone after compaction, apiserver restart) it gets the object again, so
// no change is missed and a dropped connection costs one GET.
import { ConfigMap, isNotFound, type Client } from '@tugboat/runtime';
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
export type ConfigMapReader = Pick<Client, 'get' | 'watch'>;

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
          const cm = await client.get(ConfigMap, { namespace: opts.namespace, name: opts.name }, { signal });
          offer(cm);
          const events = client.watch(ConfigMap, {
            namespace: opts.namespace,
            fieldSelector: `metadata.name=${opts.name}`,
            resourceVersion: cm.metadata.resourceVersion,
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
          if (!isNotFound(err)) opts.onError?.(err);
          await sleep(backoffMs, undefined, { signal }).catch(() => {});
          backoffMs = Math.min(backoffMs * 2, 30_000);
        }
      }
    },
  };
}
