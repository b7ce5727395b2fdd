// Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm:
//
//  - A candidate takes the Lease when it does not exist, has no holder, or its holder has not
//    renewed for leaseDuration. "Has not renewed" is measured on *our* clock from the moment we
//    last saw the record change, never by comparing the holder's renewTime to our clock, so
//    clock skew between nodes cannot make two replicas leaders.
//  - Every write carries the resourceVersion it read (optimistic concurrency): of two
//    candidates racing for an expired Lease, one gets a Conflict and stays a follower.
//  - The leader renews every retryPeriod; if it cannot renew for renewDeadline it stops leading
//    (and its manager stops reconciling) before leaseDuration runs out and someone else may
//    take over. renewDeadline < leaseDuration is that safety margin.
//  - On a clean shutdown the leader releases the Lease (clears holderIdentity), so a standby
//    takes over within one retryPeriod instead of waiting out leaseDuration.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { sleep } from './backoff.js';
import { resourcePath, type Client } from './client.js';
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { Lease } from './kinds.js';
import { silentLogger, type Logger } from './log.js';
import { defaultRegistry, leaderElectionMetrics, type Registry } from './metrics.js';
import { microTime } from './events.js';

export interface LeaderElectionOptions {
  /** Lease name; one per operator (or per shard). */
  id: string;
  /** Lease namespace. Default: the pod's namespace ($POD_NAMESPACE or the service account's), else `default`. */
  namespace?: string;
  /** Default: `<hostname>_<uuid>`. */
  identity?: string;
  /** How long a Lease is valid after its last renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts, for candidates and for the leader's renewals. Default 2 s. */
  retryPeriodMs?: number;
  /** Clear holderIdentity on shutdown so a standby takes over at once. Default true. */
  releaseOnCancel?: boolean;
}

export interface LeaderCallbacks {
  onStartedLeading?: () => void;
  /** Leadership was lost (renewal failed) — not called on a clean stop. */
  onStoppedLeading?: () => void;
  /** Someone (maybe us) holds the Lease now. */
  onNewLeader?: (identity: string) => void;
}

export interface LeaderElector {
  readonly identity: string;
  readonly lease: { namespace: string; name: string };
  isLeader(): boolean;
  /**
   * Campaigns, then renews, until `signal` aborts (resolves 'stopped', releasing the Lease if
   * configured) or renewal fails (resolves 'lost').
   */
  run(signal: AbortSignal): Promise<'stopped' | 'lost'>;
}

export const leaderElectionDefaults = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

/** The namespace this process runs in, when it runs in a pod. */
export function podNamespace(): string | undefined {
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** client-go's JitterUntil factor: waits are spread over [d, 1.2d). */
function jittered(ms: number): number {
  return ms * (1 + Math.random() * 0.2);
}

export function createLeaderElector(
  client: Client,
  opts: LeaderElectionOptions,
  callbacks: LeaderCallbacks = {},
  deps: {
    log?: Logger;
    registry?: Registry;
    now?: () => number;
    /** The worst event-loop delay (seconds) since the previous call; reported when the Lease is lost. */
    eventLoopDelaySeconds?: () => number;
  } = {},
): LeaderElector {
  const leaseDurationMs = opts.leaseDurationMs ?? leaderElectionDefaults.leaseDurationMs;
  const renewDeadlineMs = opts.renewDeadlineMs ?? leaderElectionDefaults.renewDeadlineMs;
  const retryPeriodMs = opts.retryPeriodMs ?? leaderElectionDefaults.retryPeriodMs;
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs * 1.2 && retryPeriodMs > 0)) {
    throw new RangeError('leader election: need leaseDuration > renewDeadline > 1.2 * retryPeriod > 0');
  }
  const identity = opts.identity ?? defaultIdentity();
  const namespace = opts.namespace ?? podNamespace() ?? 'default';
  const name = opts.id;
  const log = (deps.log ?? silentLogger).child({ lease: `${namespace}/${name}`, identity });
  const now = deps.now ?? (() => Date.now());
  const status = leaderElectionMetrics(deps.registry ?? defaultRegistry).masterStatus;
  const path = resourcePath(Lease, { namespace, name });
  const collection = resourcePath(Lease, { namespace });
  const leaseSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));

  let leader = false;
  let observedRaw = '';
  let observedAt = 0;
  let observedLeaseMs = leaseDurationMs;
  let lastHolder: string | undefined;
  status.set({ name }, 0);

  const setLeader = (v: boolean) => {
    leader = v;
    status.set({ name }, v ? 1 : 0);
  };

  const observe = (lease: Lease) => {
    const spec = lease.spec ?? {};
    const raw = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.leaseDurationSeconds ?? 0, spec.leaseTransitions ?? 0, lease.metadata.resourceVersion]);
    if (raw !== observedRaw) {
      observedRaw = raw;
      observedAt = now();
      observedLeaseMs = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    }
    const holder = spec.holderIdentity ?? '';
    if (holder !== '' && holder !== lastHolder) {
      lastHolder = holder;
      log.info('new leader observed', { leader: holder });
      callbacks.onNewLeader?.(holder);
    }
  };

  const timeout = () => AbortSignal.timeout(Math.max(1000, renewDeadlineMs / 2));

  /** One attempt to become (or stay) leader. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const t = new Date(now());
    const mine = (acquireTime: string, transitions: number): NonNullable<Lease['spec']> => ({
      holderIdentity: identity,
      leaseDurationSeconds: leaseSeconds,
      acquireTime,
      renewTime: microTime(t),
      leaseTransitions: transitions,
    });
    let lease: Lease;
    try {
      lease = await client.request<Lease>('GET', path, undefined, { signal: timeout() });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const created: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: mine(microTime(t), 0) };
      try {
        observe(await client.request<Lease>('POST', collection, created, { signal: timeout() }));
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== identity;
    if (held && observedAt + observedLeaseMs > now()) return false;
    const renewing = holder === identity && leader;
    const next: Lease = {
      ...lease,
      spec: { ...spec, ...mine(renewing ? (spec.acquireTime ?? microTime(t)) : microTime(t), (spec.leaseTransitions ?? 0) + (renewing || holder === identity ? 0 : 1)) },
    };
    try {
      observe(await client.request<Lease>('PUT', path, next, { signal: timeout() }));
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  };

  // Why renewals failed, for the one error line a person reads after a lost Lease: a renewal
  // that times out while the event loop was blocked is our fault, not the apiserver's.
  let lastFailure = '';
  const attempt = async (): Promise<boolean> => {
    const began = now();
    try {
      const ok = await tryAcquireOrRenew();
      if (!ok) lastFailure = 'the lease is held by another candidate or changed under us (conflict)';
      return ok;
    } catch (e) {
      lastFailure = `${e instanceof Error ? e.message : String(e)} after ${now() - began} ms`;
      log.debug('lease attempt failed', { err: e });
      return false;
    }
  };

  const release = async () => {
    try {
      const lease = await client.request<Lease>('GET', path, undefined, { signal: timeout() });
      if (lease.spec?.holderIdentity !== identity) return;
      const t = microTime(new Date(now()));
      const released: Lease = { ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: t, renewTime: t } };
      await client.request<Lease>('PUT', path, released, { signal: timeout() });
      log.info('released the lease');
    } catch (e) {
      log.warn('could not release the lease; a standby takes over when it expires', { err: e });
    }
  };

  return {
    identity,
    lease: { namespace, name },
    isLeader: () => leader,
    async run(signal) {
      log.info('campaigning for leadership');
      while (!signal.aborted) {
        if (await attempt()) break;
        await sleep(jittered(retryPeriodMs), signal);
      }
      if (signal.aborted) return 'stopped';
      setLeader(true);
      log.info('became leader');
      callbacks.onStartedLeading?.();
      while (!signal.aborted) {
        await sleep(retryPeriodMs, signal);
        if (signal.aborted) break;
        deps.eventLoopDelaySeconds?.();
        const deadline = now() + renewDeadlineMs;
        let renewed = false;
        while (!signal.aborted && now() < deadline) {
          if (await attempt()) {
            renewed = true;
            break;
          }
          await sleep(Math.min(retryPeriodMs, Math.max(0, deadline - now())), signal);
        }
        if (signal.aborted) break;
        if (!renewed) {
          setLeader(false);
          const blocked = deps.eventLoopDelaySeconds?.();
          log.error('leadership lost: could not renew the lease within the renew deadline', {
            renewDeadlineMs,
            lastFailure,
            ...(blocked !== undefined ? { maxEventLoopDelayMs: Math.round(blocked * 1000) } : {}),
          });
          callbacks.onStoppedLeading?.();
          return 'lost';
        }
      }
      if (opts.releaseOnCancel ?? true) await release();
      setLeader(false);
      return 'stopped';
    },
  };
}
