// The manager runs controllers over one shared client and cache, and owns the process-level
// concerns: leader election, probes and metrics, signals, and an orderly shutdown.
//
// Start-up (warm standby): probe servers, then webhook servers, then caches start on every
// replica, leader or not, and watch events already fill the work queues. Only the leader starts
// workers. When the leader goes away, a standby has nothing to list: it reconciles as soon as
// it holds the Lease. Webhooks serve on every replica too — admission is not leader work, and
// the apiserver reaches whichever replica its Service picks — and they start before the caches
// because a cache of a CRD with a conversion webhook served here cannot sync without it.
//
// Shutdown (SIGTERM or stop()): no new reconcile starts; those in flight finish (up to
// gracefulShutdownMs, then their ctx.signal aborts); only then is the Lease released, so the
// next leader never overlaps with our last reconciles; then pending event counts are written
// and the webhook servers stop — admission keeps working while reconciles drain — and last the
// caches and client their handlers may use, and the probe servers.
//
// The Lease is renewed through a client of its own (own rate limiter and connections, same
// credentials), as client-go setups give leader election its own rest.Config: renewals queued
// behind a burst of reconciles on the shared client would miss the renew deadline and stop a
// healthy leader exactly when it is busiest.
//
// Losing the Lease (renewal failed): workers stop at once and start() rejects. The process
// should exit and be restarted, as controller-runtime does; continuing could act on a world
// another leader is already changing.
import { createCache, type Cache, type CacheOptions } from './cache.js';
import { createClient, deriveClient, type Client } from './client.js';
import { startController, type Controller, type ControllerDefinition, type RunningController } from './controller.js';
import { createEventBroadcaster, type EventBroadcaster } from './events.js';
import { createFinalizerRunner, type FinalizerRunner } from './finalizers.js';
import { startProbeServer, type Check, type ProbeServer } from './health.js';
import { createKindLookup } from './kindlookup.js';
import { acquireProcessMetrics } from './processmetrics.js';
import { createLeaderElector, defaultIdentity, type LeaderElectionOptions, type LeaderElector } from './leaderelection.js';
import { createLogger, type Logger } from './log.js';
import { defaultRegistry, restClientMetrics, type Registry } from './metrics.js';
import type { Kind } from './object.js';
import { labelShardSelector, shardSelector, type ShardingOptions, type ShardOptions, type ShardSelector } from './sharding.js';
import type { WebhookServer } from './webhook.js';

export interface ManagerLeaderElectionOptions extends LeaderElectionOptions {
  /**
   * Rate limit of the Lease's own client. Default 5 qps, burst 10: an attempt is at most two
   * requests (GET, then PUT or POST) per retryPeriod.
   */
  clientQps?: number;
  clientBurst?: number;
  /**
   * The client the Lease goes through. Default: one the manager derives from its client (same
   * apiserver, credentials and request metrics; own rate limiter and connections). Needed only
   * when `client` is a Client that createClient did not make; without it the Lease then shares
   * that client.
   */
  client?: Client;
}

export interface ManagerOptions {
  /** Path to a kubeconfig. Default: $KUBECONFIG, else ~/.kube/config, else in-cluster. */
  kubeconfig?: string;
  context?: string;
  /** Use this client instead of creating one (the manager then does not close it). */
  client?: Client;
  /** Run only while holding this Lease. Default: no election (always leader). */
  leaderElection?: ManagerLeaderElectionOptions;
  /** Serve /metrics here (0 = any free port). Default: not served. */
  metricsPort?: number;
  /** Serve /healthz and /readyz here (may equal metricsPort). Default: not served. */
  healthPort?: number;
  /** Bind address of the probe servers. Default 0.0.0.0. */
  bindAddress?: string;
  /** Reconcile only this shard of every controller's objects, filtering events in process (hash mode, see sharding.ts). */
  shard?: ShardOptions;
  /**
   * Reconcile only this shard, with the apiserver filtering For() and Owns() watches by the
   * shard label (label mode, see sharding.ts), so the cache holds only this shard's objects.
   * Not together with `shard`.
   */
  sharding?: ShardingOptions;
  /** Webhook servers to run on every replica (see addWebhookServer). */
  webhooks?: readonly WebhookServer[];
  /** Custom kinds ctx.apply() may meet without a controller declaring them. */
  kinds?: readonly Kind[];
  cache?: CacheOptions;
  log?: Logger;
  /** Where metrics go. Default: the process registry. */
  registry?: Registry;
  /** How long in-flight reconciles may run after shutdown begins. Default 30 s. */
  gracefulShutdownMs?: number;
  /** start() fails if caches have not synced by then (RBAC missing, CRD not installed). Default 2 min. */
  cacheSyncTimeoutMs?: number;
  /** Stop on SIGTERM and SIGINT. Default true. */
  handleSignals?: boolean;
  /** Names this replica in the Lease and in events. Default `<hostname>_<uuid>`. */
  identity?: string;
  /** Client-side rate limit of the manager's client. */
  qps?: number;
  burst?: number;
}

export interface Manager {
  readonly client: Client;
  readonly cache: Cache;
  readonly log: Logger;
  readonly registry: Registry;
  readonly identity: string;
  readonly shard: ShardSelector | undefined;
  /** Adds a controller; it watches at once (warm standby) and reconciles once leading. */
  add(def: ControllerDefinition): Controller;
  /**
   * Runs `server` on every replica, leader or not: started before the caches (so before the
   * manager is ready), stopped after reconciles drained and the Lease was released. Its
   * `/readyz` check (`webhook`, then `webhook-2`, …) passes while it serves a valid
   * certificate. Added to a running manager, it starts at once.
   */
  addWebhookServer(server: WebhookServer): void;
  addHealthCheck(name: string, check: Check): void;
  addReadyCheck(name: string, check: Check): void;
  /** Runs until stop() or a signal (resolves), or until leadership is lost (rejects). */
  start(): Promise<void>;
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Resolves when this replica leads (at once without leader election). */
  readonly elected: Promise<void>;
  /** Resolves when the caches have synced. */
  readonly synced: Promise<void>;
  /** Probe/metrics servers, once started. */
  readonly healthUrl: string | undefined;
  readonly metricsUrl: string | undefined;
}

export class LeaderElectionLostError extends Error {
  constructor(lease: string) {
    super(`leader election lost for lease ${lease}: stopping so the process can restart`);
    this.name = 'LeaderElectionLostError';
  }
}

async function create(opts: ManagerOptions = {}): Promise<Manager> {
  const registry = opts.registry ?? defaultRegistry;
  const log = opts.log ?? createLogger();
  const identity = opts.identity ?? opts.leaderElection?.identity ?? defaultIdentity();
  const rest = restClientMetrics(registry);
  const ownClient = opts.client === undefined;
  const client =
    opts.client ??
    (await createClient({
      ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
      ...(opts.context !== undefined ? { context: opts.context } : {}),
      ...(opts.qps !== undefined ? { qps: opts.qps } : {}),
      ...(opts.burst !== undefined ? { burst: opts.burst } : {}),
      onRequest: (r) => {
        rest.requests.inc({ code: r.code, method: r.method, host: r.host });
        rest.duration.observe({ verb: r.method, host: r.host }, r.durationSeconds);
      },
    }));
  const cache = createCache(client, { onError: (err, context) => log.debug('informer recovered from an error', { err, context }), ...opts.cache });
  if (opts.shard && opts.sharding) throw new TypeError('Manager: set shard (hash mode) or sharding (label mode), not both');
  const shard = opts.sharding ? labelShardSelector(opts.sharding) : opts.shard ? shardSelector(opts.shard) : undefined;
  const events: EventBroadcaster = createEventBroadcaster(client, { reportingInstance: identity, log });
  const graceMs = opts.gracefulShutdownMs ?? 30_000;
  const controllers: RunningController[] = [];
  const definitions: ControllerDefinition[] = [];
  const healthChecks = new Map<string, Check>([['ping', () => undefined]]);
  let cacheSynced = false;
  const readyChecks = new Map<string, Check>([
    [
      'informers',
      () => {
        if (!cacheSynced) return 'caches are not synced yet';
        const h = cache.health();
        if (!h.synced) return `not synced: ${h.informers.filter((i) => !i.synced).map((i) => i.name).join(', ')}`;
        if (h.stalled.length > 0) return `watches stalled: ${h.stalled.join(', ')}`;
        return undefined;
      },
    ],
  ]);

  let leaderOpts: LeaderElectionOptions | undefined;
  let leaseClient: Client | undefined;
  let ownLeaseClient = false;
  if (opts.leaderElection) {
    const { clientQps, clientBurst, client: given, ...election } = opts.leaderElection;
    leaderOpts = shard ? { ...election, id: `${election.id}-shard-${shard.index}` } : election;
    leaseClient =
      given ??
      (await deriveClient(client, {
        ...(clientQps !== undefined ? { qps: clientQps } : {}),
        ...(clientBurst !== undefined ? { burst: clientBurst } : {}),
        userAgentSuffix: 'leader-election',
      }));
    ownLeaseClient = given === undefined && leaseClient !== undefined;
    if (!leaseClient) {
      log.warn('leader election shares the manager client (not made by createClient; pass leaderElection.client): a busy controller can delay renewals');
      leaseClient = client;
    }
  }

  let resolveElected!: () => void;
  const elected = new Promise<void>((r) => (resolveElected = r));
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  let elector: LeaderElector | undefined;
  let leading = false;
  let started = false;
  let stopping: Promise<void> | undefined;
  let servers: ProbeServer[] = [];
  let healthUrl: string | undefined;
  let metricsUrl: string | undefined;
  const run = new AbortController(); // aborted to begin shutdown
  const electionSignal = new AbortController(); // aborted after drain, to release the Lease
  let electionDone: Promise<'stopped' | 'lost'> | undefined;
  let lost = false;

  const finalizersFor = new Map<string, FinalizerRunner>();
  const webhooks: WebhookServer[] = [];
  const webhookFailures = new Map<WebhookServer, string>();

  const startWebhook = async (w: WebhookServer) => {
    try {
      await w.start();
    } catch (e) {
      webhookFailures.set(w, `the webhook server failed to start: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  };

  const addWebhookServer = (w: WebhookServer) => {
    if (run.signal.aborted) throw new Error('manager is stopping');
    if (webhooks.includes(w)) throw new Error('this webhook server was already added');
    webhooks.push(w);
    readyChecks.set(webhooks.length === 1 ? 'webhook' : `webhook-${webhooks.length}`, () => webhookFailures.get(w) ?? w.ready());
    if (started) {
      startWebhook(w).catch((err: unknown) => log.error('webhook server failed to start', { err }));
    }
  };

  const startWorkersIfReady = () => {
    if (!leading || !cacheSynced || run.signal.aborted) return;
    for (const c of controllers) c.startWorkers();
  };

  const startServers = async () => {
    const host = opts.bindAddress ?? '0.0.0.0';
    if (opts.metricsPort !== undefined && opts.metricsPort === opts.healthPort) {
      const s = await startProbeServer({ port: opts.metricsPort, host, metrics: registry, healthz: healthChecks, readyz: readyChecks });
      servers.push(s);
      healthUrl = metricsUrl = s.url;
      return;
    }
    if (opts.metricsPort !== undefined) {
      const s = await startProbeServer({ port: opts.metricsPort, host, metrics: registry });
      servers.push(s);
      metricsUrl = s.url;
    }
    if (opts.healthPort !== undefined) {
      const s = await startProbeServer({ port: opts.healthPort, host, healthz: healthChecks, readyz: readyChecks });
      servers.push(s);
      healthUrl = s.url;
    }
  };

  const shutdown = async () => {
    run.abort();
    log.info('shutting down', { controllers: controllers.length });
    // 1. No new reconciles; in-flight ones finish (or are aborted after the grace period).
    await Promise.all(controllers.map((c) => c.stop(lost ? 0 : graceMs)));
    // 2. Only now give up the Lease: the next leader must not overlap our last reconciles.
    electionSignal.abort();
    if (electionDone) await electionDone;
    // 3. Everything else; webhooks before the cache and client their handlers may read through.
    await events.close();
    await Promise.all(webhooks.map((w) => w.stop()));
    await cache.stop();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    if (ownClient) await client.close();
    if (ownLeaseClient) await leaseClient?.close();
    processMetrics.release();
    log.info('stopped');
  };

  const stop = () => {
    stopping ??= shutdown();
    return stopping;
  };

  // Acquired last, once nothing above can throw, so a failed create leaves no sampler running.
  const processMetrics = acquireProcessMetrics(registry);
  const mgr: Manager = {
    client,
    cache,
    log,
    registry,
    identity,
    shard,
    elected,
    synced,
    get healthUrl() {
      return healthUrl;
    },
    get metricsUrl() {
      return metricsUrl;
    },
    isLeader: () => leading,
    addWebhookServer,
    addHealthCheck: (name, check) => void healthChecks.set(name, check),
    addReadyCheck: (name, check) => void readyChecks.set(name, check),
    add(def) {
      if (run.signal.aborted) throw new Error('manager is stopping');
      if (definitions.some((d) => d.name === def.name)) throw new Error(`a controller named ${def.name} was already added`);
      definitions.push(def);
      let finalizers = finalizersFor.get(def.name);
      if (!finalizers) finalizersFor.set(def.name, (finalizers = createFinalizerRunner(client)));
      const c = startController(def, {
        client,
        cache,
        log,
        registry,
        recorder: events.recorderFor(def.name),
        kinds: createKindLookup([...def.sources.map((s) => s.kind), ...(opts.kinds ?? [])]),
        finalizers,
        shard,
      });
      controllers.push(c);
      // Added to a running manager: its informers are new, so wait for them before it works.
      if (started) void cache.waitForSync(run.signal).then((ok) => ok && startWorkersIfReady());
      return c;
    },
    async start() {
      if (started) throw new Error('manager already started');
      started = true;
      const onSignal = (sig: NodeJS.Signals) => {
        log.info('signal received, shutting down gracefully', { signal: sig });
        void stop();
      };
      if (opts.handleSignals ?? true) {
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      }
      try {
        await startServers();
        // Settle every start before failing, so stop() finds nothing still half-started.
        const starts = await Promise.allSettled(webhooks.map(startWebhook));
        const failed = starts.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
        cache.start();
        if (leaderOpts && leaseClient) {
          const le = createLeaderElector(
            leaseClient,
            { ...leaderOpts, identity },
            {
              onStartedLeading: () => {
                leading = true;
                resolveElected();
                startWorkersIfReady();
              },
              onStoppedLeading: () => {
                leading = false;
                lost = true;
              },
            },
            { log, registry, eventLoopDelaySeconds: () => processMetrics.takeMaxEventLoopDelaySeconds() },
          );
          elector = le;
          electionDone = le.run(electionSignal.signal).then((r) => {
            if (r === 'lost') void stop();
            return r;
          });
        } else {
          leading = true;
          resolveElected();
        }
        log.info('waiting for caches to sync', { shard: shard ? `${shard.index}/${shard.count}` : undefined, identity });
        const syncTimeout = AbortSignal.timeout(opts.cacheSyncTimeoutMs ?? 120_000);
        const ok = await cache.waitForSync(AbortSignal.any([run.signal, syncTimeout]));
        if (!ok && syncTimeout.aborted && !run.signal.aborted) {
          const pending = cache.health().informers.filter((i) => !i.synced);
          throw new Error(
            `caches did not sync within ${opts.cacheSyncTimeoutMs ?? 120_000} ms: ${pending.map((i) => `${i.name}${i.lastError ? ` (${i.lastError})` : ''}`).join(', ')}`,
          );
        }
        if (ok) {
          cacheSynced = true;
          resolveSynced();
          log.info('caches synced');
          startWorkersIfReady();
        }
        await new Promise<void>((resolve) => {
          if (run.signal.aborted) resolve();
          else run.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        await stop();
      } catch (e) {
        // Ports in use, caches that never sync: release what did start before failing.
        await stop();
        throw e;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      if (lost) throw new LeaderElectionLostError(`${elector?.lease.namespace}/${elector?.lease.name}`);
    },
    stop,
  };
  for (const w of opts.webhooks ?? []) addWebhookServer(w);
  return mgr;
}

/** `Manager.create(options)`: a namespace for the factory, so call sites read like the design sketch. */
export const Manager = { create };
