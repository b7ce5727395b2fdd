// Reports the agent's status on its own pod as annotations (api/annotations.ts), so the
// controller learns which configuration each replica runs without a status kind of its own.
// Writes only when the reported values change, one patch at a time, latest value wins; a
// failed patch is retried with backoff, and a newer status replaces the one being retried.
import { Pod, type Client } from '@tugboat/runtime';
import { appliedHashAnnotation, rejectedAnnotation } from '../api/annotations.js';
import type { AgentStatus } from './status.js';

export interface PodRef {
  namespace: string;
  name: string;
}

export interface PodReporter {
  report(status: AgentStatus): void;
  /** Resolves once the latest status is on the pod (or the reporter is closed). */
  flush(): Promise<void>;
  close(): void;
}

type Annotations = Record<string, string | null>;

export function podAnnotations(status: AgentStatus): Annotations {
  const firstLine = (status.rejected?.reason ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  return {
    [appliedHashAnnotation]: status.appliedHash ?? null,
    [rejectedAnnotation]: status.rejected ? `${status.rejected.hash}: ${firstLine.slice(0, 300)}` : null,
  };
}

export function podReporter(client: Pick<Client, 'patch'>, pod: PodRef, onError: (err: unknown) => void = () => {}): PodReporter {
  let wanted: Annotations | undefined;
  let sent = '';
  let running: Promise<void> | undefined;
  let closed = false;
  const loop = async () => {
    let backoff = 200;
    while (!closed && wanted !== undefined && JSON.stringify(wanted) !== sent) {
      const next = wanted;
      try {
        await client.patch(Pod, pod, { metadata: { annotations: next } }, 'merge');
        sent = JSON.stringify(next);
        backoff = 200;
      } catch (err) {
        onError(err);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  };
  const kick = () => {
    running ??= loop().finally(() => {
      running = undefined;
      if (!closed && wanted !== undefined && JSON.stringify(wanted) !== sent) kick();
    });
  };
  return {
    report(status) {
      wanted = podAnnotations(status);
      kick();
    },
    async flush() {
      while (running !== undefined) await running;
    },
    close() {
      closed = true;
    },
  };
}
