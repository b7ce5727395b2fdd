// Shared pieces of the control-plane tests: polling with a deadline, LB and pool objects, and a
// client that counts the writes it sends (to prove a resync writes nothing).
import { createClient, Namespace, isAlreadyExists, type Client } from '@tugboat/runtime';
import type { ControlPlane } from '@tugboat/testenv';
import type { IPPool } from '../src/api/ippool.js';
import type { LoadBalancer } from '../src/api/loadbalancer.js';

export { eventually } from '@tugboat/testenv';

export async function ensureNamespace(client: Client, name: string): Promise<void> {
  try {
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

export function poolObject(name: string, addresses: string[], extra: Partial<IPPool['spec']> = {}): IPPool {
  return { apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'IPPool', metadata: { name }, spec: { addresses, ...extra } } as IPPool;
}

/** An HTTP load balancer with one static pool; `spec` fields override. */
export function lbObject(namespace: string, name: string, ipPool: string, spec: Record<string, unknown> = {}): LoadBalancer {
  return {
    apiVersion: 'lb.tugboat.dev/v1alpha1',
    kind: 'LoadBalancer',
    metadata: { namespace, name },
    spec: {
      ipPool,
      replicas: 1,
      listeners: [{ name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' }],
      pools: [{ name: 'web', members: [{ address: '10.1.0.1', port: 8080 }] }],
      ...spec,
    },
  } as unknown as LoadBalancer;
}

export function condition(lb: LoadBalancer | undefined, type: string): { status: string; reason: string; message: string } | undefined {
  return lb?.status?.conditions?.find((c) => c.type === type);
}

export interface WriteLog {
  /** `METHOD path` of every request that can change state, in order. */
  readonly writes: string[];
  reset(): void;
}

const writeMethods = new Set(['create', 'update', 'updateStatus', 'delete', 'patch', 'apply']);

/**
 * A real client whose state-changing calls are recorded (kind and name). The operator uses it
 * like any client; the test reads what it wrote.
 */
export async function recordingClient(cp: ControlPlane, opts: { qps?: number; burst?: number } = {}): Promise<{ client: Client; log: WriteLog }> {
  const inner = await createClient({ kubeconfig: cp.kubeconfigPath, qps: opts.qps ?? 500, burst: opts.burst ?? 1000 });
  const writes: string[] = [];
  const client = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || typeof v !== 'function') return v;
      if (writeMethods.has(prop)) {
        return (...args: unknown[]) => {
          const kind = (args[0] as { kind?: string }).kind ?? '?';
          const target1 = args[1] as { metadata?: { namespace?: string; name?: string }; namespace?: string; name?: string } | undefined;
          const ns = target1?.metadata?.namespace ?? target1?.namespace ?? '';
          const name = target1?.metadata?.name ?? target1?.name ?? '';
          writes.push(`${prop} ${kind} ${ns}/${name}`);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === 'request') {
        return (...args: unknown[]) => {
          if (String(args[0]).toUpperCase() !== 'GET') writes.push(`request ${String(args[0])} ${String(args[1])}`);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return {
    client,
    log: {
      writes,
      reset() {
        writes.length = 0;
      },
    },
  };
}
