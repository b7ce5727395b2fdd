// Where the agent's configuration comes from. Two implementations: the ConfigMap through the
// Kubernetes API (no kubelet delay; one watch per pod) and the ConfigMap as mounted files
// (no apiserver load; 60-90 s kubelet delay). Both hand over the whole bundle each time.

export interface ConfigSnapshot {
  /** File name → content: haproxy.cfg and its companion files. */
  files: Record<string, string>;
  /** Where it came from, for logs: a path or namespace/name@resourceVersion. */
  origin: string;
}

export interface ConfigSource {
  /**
   * Calls `onSnapshot` with the current configuration as soon as there is one, then on every
   * change, until `signal` aborts (then it resolves). Transient errors are retried inside;
   * the returned promise rejects only when the source cannot work at all.
   */
  run(onSnapshot: (snapshot: ConfigSnapshot) => void, signal: AbortSignal): Promise<void>;
}

export function sameFiles(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
