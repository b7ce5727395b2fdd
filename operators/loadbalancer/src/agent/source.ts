// Where the agent's configuration comes from. Two kinds: the ConfigMap through the Kubernetes
// API (no kubelet delay; one watch per pod) and the ConfigMap as mounted files (no apiserver
// load; 60-90 s kubelet delay); fallback-source.ts combines them, the API first. Each hands over
// the whole bundle each time, and says which of them the agent follows now.

export interface ConfigSnapshot {
  /** File name → content: haproxy.cfg and its companion files. */
  files: Record<string, string>;
  /** Where it came from, for logs: a path or namespace/name@resourceVersion. */
  origin: string;
}

export type SourceKind = 'api' | 'file';

/** The API source's condition: `denied` is a 401 or 403, which no retry soon will cure. */
export type ApiCondition = 'connecting' | 'connected' | 'unreachable' | 'denied';

/** What the agent reports about its configuration source (status, /readyz, metrics). */
export interface SourceState {
  /** The source whose configuration the agent applies now. */
  active: SourceKind;
  /** Absent when the agent has no API source. */
  api?: ApiCondition;
  /** The API source's last error, while it is not connected. */
  apiError?: string;
  /** When `active` last changed. */
  since: string;
  /**
   * A mounted configuration the agent does not apply although it follows the mounted files,
   * because it may be older than what the API delivered.
   */
  heldBack?: { hash: string; reason: string };
}

export interface ConfigSource {
  /**
   * Calls `onSnapshot` with the current configuration as soon as there is one, then on every
   * change, until `signal` aborts (then it resolves); `onState` hears every change of the
   * source's state. Transient errors are retried inside; the returned promise rejects only
   * when the source cannot work at all.
   */
  run(onSnapshot: (snapshot: ConfigSnapshot) => void, signal: AbortSignal, onState?: (state: SourceState) => void): Promise<void>;
}

export function sameFiles(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export function sameState(a: SourceState | undefined, b: SourceState): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
