// The ConfigMap through the API, with the mounted copy as the fallback (the rules are in
// fallback.ts). Both run all the time: the file source is one inotify watch and a slow poll,
// and fallback.ts must see every mounted version, also while the API is followed, to know
// which of them the API has already superseded. The API loop keeps retrying while the files
// are followed, so the agent returns to the API as soon as a list succeeds.
import { errorText, followConfigMap, type ApiSourceOptions, type ConfigMapReader } from './api-source.js';
import { createFallback, type Decision } from './fallback.js';
import { sameState, type ConfigSource, type SourceState } from './source.js';

export interface FallbackSourceOptions {
  /** How long the API may fail before the mounted files are followed. Default 10 s. */
  graceMs?: number;
  /** See FallbackPolicy.kubeletLagMs. Default 90 s. */
  kubeletLagMs?: number;
}

export function fallbackConfigSource(client: ConfigMapReader, api: ApiSourceOptions, file: ConfigSource, opts: FallbackSourceOptions = {}): ConfigSource {
  return {
    async run(onSnapshot, signal, onState): Promise<void> {
      const fallback = createFallback({ graceMs: opts.graceMs ?? 10_000, ...(opts.kubeletLagMs !== undefined ? { kubeletLagMs: opts.kubeletLagMs } : {}) }, Date.now());
      let timer: NodeJS.Timeout | undefined;
      let last: SourceState | undefined;
      const handle = (d: Decision) => {
        clearTimeout(timer);
        timer = undefined;
        if (signal.aborted) return;
        // The state first: whoever sees the snapshot applied should also see where it came from.
        if (!sameState(last, d.state)) {
          last = d.state;
          onState?.(d.state);
        }
        if (d.offer !== undefined) onSnapshot(d.offer);
        if (d.checkAt !== undefined) timer = setTimeout(() => handle(fallback.tick(Date.now())), Math.max(0, d.checkAt - Date.now()));
      };
      handle(fallback.tick(Date.now()));
      try {
        await Promise.all([
          followConfigMap(
            client,
            api,
            {
              listed: (s) => handle(fallback.apiListed(s, Date.now())),
              changed: (s) => handle(fallback.apiChanged(s, Date.now())),
              failed: (err, condition) => handle(fallback.apiFailed(errorText(err), condition, Date.now())),
            },
            signal,
          ),
          file.run((s) => handle(fallback.fileChanged(s, Date.now())), signal),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
