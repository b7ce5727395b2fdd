// An operator on @tugboat/runtime against the ceiling of the apiserver it talks to, on this
// machine, in this run. A real control plane (etcd + kube-apiserver on loopback) serves both.
//
//  (a) ceiling   N ConfigMap server-side applies (creates) from a raw client, with the
//                controller's concurrency and the same lifted client rate limit: how many
//                objects/s this box can write. Also raw, for the same N: creating the custom
//                objects, their first status apply, and updates of both ConfigMap and status —
//                so each operator phase can be set against exactly the writes it makes.
//  (b) tugboat   N custom objects exist; a Manager runs one controller, For(FleetItem) +
//                Owns(ConfigMap, metadataOnly) + Watches(a global settings ConfigMap), which
//                renders and applies one ConfigMap per object and applies status. Timed from
//                start() (cache sync included) until every object's status is seen through the
//                watch. Ratio: objects/s ÷ ceiling.
//  (c) resync    every object re-reconciled with nothing changed: writes must be 0.
//  (d) update    one field of the global ConfigMap changes; every object re-renders. Timed until
//                every status reports the new value.
//  (e) memory    heap the manager frees when it is gone, per object, against keeping the same
//                objects as the apiserver sends them (JSON.parse, managedFields and all).
//
// Writes are counted from the runtime's own rest_client_requests_total (POST/PUT/PATCH/DELETE).
// CPU seconds of this process, kube-apiserver and etcd are read per phase from /proc, to show
// who a phase waited on. Not a test: nothing here asserts a time.
//
//   BENCH_OBJECTS          N (default 2,000; see bench/README.md for 100k)
//   BENCH_CONCURRENCY      controller workers = raw client's requests in flight (default 16)
//   BENCH_QPS              client rate limit of both clients, burst the same (default 1,000)
//   BENCH_PHASE_TIMEOUT_S  stop waiting for a phase after this long (default 240)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import {
  ConfigMap,
  CustomResourceDefinition,
  Manager,
  Namespace,
  childName,
  controller,
  controllerMetrics,
  createClient,
  createLogger,
  createRegistry,
  defineCustomKind,
  generationChanged,
  isAlreadyExists,
  keyOf,
  parseKey,
  restClientMetrics,
  setCondition,
  setControllerReference,
  stripManagedFields,
  withAppliedHash,
  type Client,
  type ObjectOf,
  type Registry,
} from '@tugboat/runtime';

const N = Number(process.env['BENCH_OBJECTS'] ?? 2_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const QPS = Number(process.env['BENCH_QPS'] ?? 1_000);
const PHASE_TIMEOUT_MS = Number(process.env['BENCH_PHASE_TIMEOUT_S'] ?? 240) * 1000;

const FLEET_NS = 'fleet';
const CEILING_NS = 'ceiling';
const SYSTEM_NS = 'fleet-system';
const SETTINGS = 'fleet-settings';

const condition = z.object({
  type: z.string().max(64),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().optional(),
  reason: z.string().max(128).optional(),
  message: z.string().max(1024).optional(),
  lastTransitionTime: z.string().optional(),
});

const FleetItem = defineCustomKind({
  group: 'bench.tugboat.dev',
  kind: 'FleetItem',
  plural: 'fleetitems',
  scope: 'Namespaced',
  versions: [
    {
      name: 'v1alpha1',
      spec: z.object({
        port: z.number().int().min(1).max(65535),
        backends: z.array(z.string().max(253)).max(16),
      }),
      status: z.object({
        observedGeneration: z.number().int().optional(),
        /** The global maxconn this object's config was rendered with. */
        maxconn: z.string().optional(),
        conditions: z.array(condition).max(8).optional().meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
      }),
    },
  ],
});
type FleetItem = ObjectOf<typeof FleetItem>;

function item(namespace: string, i: number): FleetItem {
  return FleetItem.make({
    metadata: { name: `lb-${i}`, namespace },
    spec: { port: 1024 + (i % 60_000), backends: [`10.1.${(i >> 8) & 255}.${i & 255}:8443`, `10.2.${(i >> 8) & 255}.${i & 255}:8443`] },
  });
}

/** Pure: the one ConfigMap an object asks for (a small HAProxy config). */
function render(obj: FleetItem, maxconn: string): ConfigMap {
  const name = obj.metadata.name ?? '';
  const servers = obj.spec.backends.map((b, i) => `  server s${i} ${b} check`).join('\n');
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: childName(name, 'haproxy'),
      namespace: obj.metadata.namespace,
      labels: { 'app.kubernetes.io/name': 'haproxy', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/part-of': 'tugboat', 'app.kubernetes.io/managed-by': 'tugboat' },
    },
    data: { 'haproxy.cfg': `global\n  maxconn ${maxconn}\nfrontend fe\n  bind :${obj.spec.port}\n  default_backend be\nbackend be\n  balance roundrobin\n${servers}\n` },
  };
}

// ---- measuring helpers ----

interface Cpu {
  node: number;
  apiserver: number;
  etcd: number;
  /** Busy CPU seconds of the whole machine; minus the three above, what other processes took. */
  machine: number;
}

function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return NaN;
  }
}

function machineBusySeconds(): number {
  try {
    // cpu  user nice system idle iowait irq softirq steal …
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return (total - (f[3] ?? 0) - (f[4] ?? 0)) / 100;
  } catch {
    return NaN;
  }
}

function cpuNow(cp: ControlPlane): Cpu {
  const pids = cp.state().pgids;
  const u = process.cpuUsage();
  return { node: (u.user + u.system) / 1e6, apiserver: cpuSeconds(pids['kube-apiserver']), etcd: cpuSeconds(pids['etcd']), machine: machineBusySeconds() };
}

function cpuSince(a: Cpu, b: Cpu): Cpu {
  return { node: b.node - a.node, apiserver: b.apiserver - a.apiserver, etcd: b.etcd - a.etcd, machine: b.machine - a.machine };
}

/** CPU seconds per object of the three processes doing the work: what the box spends on one. */
function cpuPerObject(r: { objects: number; cpu: Cpu }): number {
  return (r.cpu.node + r.cpu.apiserver + r.cpu.etcd) / r.objects;
}

/** CPU seconds taken by processes other than this one, kube-apiserver and etcd. */
function others(c: Cpu): number {
  return Math.max(0, c.machine - c.node - c.apiserver - c.etcd);
}

/** Requests by method from rest_client_requests_total. */
function requests(registry: Registry): { writes: number; reads: number } {
  let writes = 0;
  let reads = 0;
  for (const m of registry.expose().matchAll(/^rest_client_requests_total\{code="[^"]*",method="([A-Z]+)",host="[^"]*"\} (\d+)$/gm)) {
    if (m[1] === 'GET') reads += Number(m[2]);
    else writes += Number(m[2]);
  }
  return { writes, reads };
}

/** Runs fn(i) for i in [0, n) with `concurrency` in flight. */
async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function until(what: string, done: () => boolean, timeoutMs = PHASE_TIMEOUT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      console.log(`  !! gave up waiting for ${what} after ${timeoutMs / 1000} s; the numbers for this phase are incomplete`);
      return false;
    }
    await sleep(5);
  }
  return true;
}

function heapUsed(): number {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

interface Row {
  phase: string;
  seconds: number;
  objects: number;
  writes: number;
  cpu: Cpu;
  note?: string;
}

const rows: Row[] = [];

async function timed(phase: string, objects: number, registry: Registry, cp: ControlPlane, fn: () => Promise<unknown>, note?: string): Promise<Row> {
  const w0 = requests(registry).writes;
  const c0 = cpuNow(cp);
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const row: Row = { phase, seconds, objects, writes: requests(registry).writes - w0, cpu: cpuSince(c0, cpuNow(cp)), ...(note !== undefined ? { note } : {}) };
  rows.push(row);
  return row;
}

// ---- the run ----

function statusOf(maxconn: string, generation: number | undefined) {
  return {
    observedGeneration: generation,
    maxconn,
    conditions: setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Rendered', message: 'config applied', observedGeneration: generation }),
  };
}

/** The raw writes a reconcile makes, issued back to back with no controller in between. */
async function ceilings(client: Client, registry: Registry, cp: ControlPlane) {
  const owners: FleetItem[] = [];
  await timed('(a) raw: create custom objects', N, registry, cp, () => parallel(N, CONCURRENCY, async (i) => void (owners[i] = await client.create(FleetItem, item(CEILING_NS, i)))));
  // The same bodies the controller sends: owner reference and applied-hash annotation included.
  const configMap = (i: number, maxconn: string, suffix = '') => {
    const owner = owners[i]!;
    const cm = render(owner, maxconn);
    return withAppliedHash(setControllerReference(owner, { ...cm, metadata: { ...cm.metadata, name: `${cm.metadata.name}${suffix}` } })) as Parameters<Client['apply']>[1];
  };
  const applyStatus = (i: number, maxconn: string) =>
    client.apply(FleetItem, { metadata: { name: `lb-${i}`, namespace: CEILING_NS }, status: statusOf(maxconn, 1) }, { fieldManager: 'bench-ceiling', force: true, subresource: 'status' });
  const cmCreate = await timed('(a) CEILING: ConfigMap SSA creates, raw', N, registry, cp, () =>
    parallel(N, CONCURRENCY, (i) => client.apply(ConfigMap, configMap(i, '50000'), { fieldManager: 'bench-ceiling', force: true })),
  );
  const statusFirst = await timed('(a) raw: status SSA (first)', N, registry, cp, () => parallel(N, CONCURRENCY, (i) => applyStatus(i, '50000')));
  const cmUpdate = await timed('(a) raw: ConfigMap SSA (updates)', N, registry, cp, () =>
    parallel(N, CONCURRENCY, (i) => client.apply(ConfigMap, configMap(i, '60000'), { fieldManager: 'bench-ceiling', force: true })),
  );
  const statusUpdate = await timed('(a) raw: status SSA (updates)', N, registry, cp, () => parallel(N, CONCURRENCY, (i) => applyStatus(i, '60000')));
  const rate = (r: Row) => N / r.seconds;
  // A reconcile writes a ConfigMap and a status; issued raw, back to back, the pair goes at:
  const pair = (a: Row, b: Row) => 1 / (1 / rate(a) + 1 / rate(b));
  // The machine is shared and its load drifts: the same ceiling, measured again at the end,
  // brackets the operator's phases.
  const again = () =>
    timed('(f) CEILING again, after the operator', N, registry, cp, () =>
      parallel(N, CONCURRENCY, (i) => client.apply(ConfigMap, configMap(i, '50000', '-again'), { fieldManager: 'bench-ceiling', force: true })),
    );
  return {
    before: rate(cmCreate),
    cmCreate,
    firstPair: pair(cmCreate, statusFirst),
    updatePair: pair(cmUpdate, statusUpdate),
    firstPairCpu: cpuPerObject(cmCreate) + cpuPerObject(statusFirst),
    updatePairCpu: cpuPerObject(cmUpdate) + cpuPerObject(statusUpdate),
    again,
  };
}

/** (b)–(e): runs the operator; returns its rows and the heap it held while live. */
async function operator(client: Client, cp: ControlPlane) {
  const registry = createRegistry();
  const mgr = await Manager.create({ kubeconfig: cp.kubeconfigPath, registry, qps: QPS, burst: QPS, handleSignals: false, log: createLogger({ level: 'warn' }) });
  stopManager = () => mgr.stop();
  collected.register(mgr, 'manager');
  const items = mgr.cache.informerFor(FleetItem, { namespace: FLEET_NS });
  const fleet = mgr.add(
    controller('fleet')
      .for(FleetItem, { namespace: FLEET_NS, predicates: [generationChanged()] }) // our own status writes do not re-trigger
      .owns(ConfigMap, { namespace: FLEET_NS, metadataOnly: true })
      .watches(ConfigMap, (cm) => (cm.metadata.name === SETTINGS ? items.store.keys().map(parseKey) : []), { namespace: SYSTEM_NS })
      .withConcurrency(CONCURRENCY)
      .reconcile(async (req, ctx) => {
        const obj = await ctx.get(FleetItem, req);
        if (!obj) return;
        const settings = await ctx.get(ConfigMap, { namespace: SYSTEM_NS, name: SETTINGS });
        const maxconn = settings?.data?.['maxconn'] ?? '2000';
        await ctx.apply(render(obj, maxconn), { owner: obj });
        const generation = obj.metadata.generation;
        await ctx.applyStatus(obj, {
          observedGeneration: generation,
          maxconn,
          conditions: setCondition(obj.status?.conditions, { type: 'Ready', status: 'True', reason: 'Rendered', message: 'config applied', observedGeneration: generation }),
        });
      }),
  );

  // Status is "observed" when the watch delivers it: what `kubectl get` or a dashboard would see.
  let want = '50000';
  const observed = new Set<string>();
  const check = (o: FleetItem) => {
    if (o.status?.maxconn === want && o.status.observedGeneration === o.metadata.generation) observed.add(keyOf(o));
  };
  items.addHandler({ onAdd: check, onUpdate: (_, o) => check(o) });

  const m = controllerMetrics(registry);
  const reconciled = () => m.reconcileTotal.get({ controller: 'fleet', result: 'success' }) + m.reconcileTotal.get({ controller: 'fleet', result: 'error' });
  const idle = () => fleet.queue.len() === 0 && fleet.queue.inFlight() === 0 && fleet.queue.delayed() === 0;
  const writes = () => requests(registry).writes;
  /** Waits until the queue has been idle for `ms` in a row: echoes of our own writes have run. */
  const settle = async (ms = 1_000) => {
    const w0 = writes();
    const r0 = reconciled();
    let since = performance.now();
    let last = r0;
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    while (performance.now() - since < ms && Date.now() < deadline) {
      await sleep(20);
      if (!idle() || reconciled() !== last) {
        since = performance.now();
        last = reconciled();
      }
    }
    return { writes: writes() - w0, reconciles: reconciled() - r0 };
  };

  // (b) cold start: list, reconcile everything, see every status.
  let syncedAfter = NaN;
  let running: Promise<void> | undefined;
  const first = await timed('(b) TUGBOAT: start → N statuses observed', N, registry, cp, async () => {
    const t0 = performance.now();
    running = mgr.start();
    running.catch((e: unknown) => console.log(`manager stopped with an error: ${String(e)}`));
    void mgr.synced.then(() => (syncedAfter = (performance.now() - t0) / 1000));
    await until('every status to be observed', () => observed.size >= N);
  });
  const firstReconciles = reconciled();
  const firstEcho = await settle();
  first.note = `synced after ${syncedAfter.toFixed(2)} s; ${firstReconciles} reconciles, then ${firstEcho.reconciles} more and ${firstEcho.writes} writes as echoes settled`;

  // (c) a no-op resync: every object reconciled, nothing written, nothing read from the apiserver.
  const r0 = reconciled();
  const reads0 = requests(registry).reads;
  const resync = await timed('(c) no-op resync of all N', N, registry, cp, async () => {
    fleet.resync();
    await until('the resync to finish', () => reconciled() - r0 >= N && idle());
  });
  resync.note = `${reconciled() - r0} reconciles, ${requests(registry).reads - reads0} GETs`;

  // (d) a mass update: the shared input changes, every object re-renders.
  observed.clear();
  want = '60000';
  const r1 = reconciled();
  const update = await timed('(d) mass update → N statuses observed', N, registry, cp, async () => {
    await client.apply(ConfigMap, { metadata: { name: SETTINGS, namespace: SYSTEM_NS }, data: { maxconn: want } }, { fieldManager: 'bench-admin' });
    await until('every status to show the new maxconn', () => observed.size >= N);
  });
  const updateReconciles = reconciled() - r1;
  const updateEcho = await settle();
  update.note = `${updateReconciles} reconciles, then ${updateEcho.reconciles} more and ${updateEcho.writes} writes as echoes settled`;

  // (e) heap held while live; the caller measures what is left once it has stopped.
  observed.clear();
  const heapLive = heapUsed();
  await mgr.stop();
  await running;
  stopManager = undefined;
  return { first, firstEcho, resync, update, updateEcho, heapLive };
}

if (typeof globalThis.gc !== 'function') console.log('note: run with node --expose-gc for the memory figures (scripts/bench.sh does)');
const started = performance.now();
const cp = await startControlPlane();
let raw: Client | undefined;
let stopManager: (() => Promise<void>) | undefined;
let managerCollected = false;
const collected = new FinalizationRegistry<string>(() => (managerCollected = true));
try {
  // The raw client feeds the same family the manager's client does, so both count alike.
  const rawRegistry = createRegistry();
  const rawRest = restClientMetrics(rawRegistry);
  raw = await createClient({
    kubeconfig: cp.kubeconfigPath,
    qps: QPS,
    burst: QPS,
    maxConnections: CONCURRENCY,
    onRequest: (r) => rawRest.requests.inc({ code: r.code, method: r.method, host: r.host }),
  });
  const client = raw;
  for (const ns of [FLEET_NS, CEILING_NS, SYSTEM_NS, 'warmup']) await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(CustomResourceDefinition, FleetItem.crd());
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    const c = await client.get(CustomResourceDefinition, { name: FleetItem.crdName });
    if (c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) break;
  }
  // The apiserver serves a new CRD a moment after Established; the first create that works proves it.
  for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
    try {
      await client.create(FleetItem, item('warmup', 0));
      break;
    } catch (e) {
      if (isAlreadyExists(e)) break;
      if (Date.now() > deadline) throw e;
    }
  }
  await client.apply(ConfigMap, { metadata: { name: SETTINGS, namespace: SYSTEM_NS }, data: { maxconn: '50000' } }, { fieldManager: 'bench-admin' });
  // Warm-up, untimed: connections, the apiserver's caches, JIT on both sides.
  await parallel(200, CONCURRENCY, (i) =>
    client.apply(ConfigMap, render(item('warmup', i), '50000') as Parameters<Client['apply']>[1], { fieldManager: 'bench-ceiling', force: true }),
  );

  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`fleet benchmark: ${N} objects, concurrency ${CONCURRENCY}, client qps ${QPS} (node ${process.version}, kube-apiserver ${cp.version}, load ${load()})`);

  const ceiling = await ceilings(client, rawRegistry, cp);
  await timed('(b) setup: create the fleet, raw', N, rawRegistry, cp, () => parallel(N, CONCURRENCY, (i) => client.create(FleetItem, item(FLEET_NS, i))));

  const heapBefore = heapUsed();
  const op = await operator(client, cp);
  // Watch loops and sockets finish a moment after stop(); measure once the manager is gone.
  for (const deadline = Date.now() + 10_000; !managerCollected && Date.now() < deadline; await sleep(100)) globalThis.gc?.();
  if (!managerCollected) console.log('  !! the manager was not garbage-collected 10 s after stop(); the heap it held is understated');
  const heapHeld = op.heapLive - heapUsed();
  const heapGrowth = op.heapLive - heapBefore;
  const againRow = await ceiling.again();
  const after = N / againRow.seconds;
  const ceilingRate = (ceiling.before + after) / 2;
  const ceilingCpu = (cpuPerObject(ceiling.cmCreate) + cpuPerObject(againRow)) / 2;

  // The naive alternative: every object kept as the apiserver sends it (managedFields, data).
  const listedItems = (await client.listAll(FleetItem, { namespace: FLEET_NS })).items;
  const listedMaps = (await client.listAll(ConfigMap, { namespace: FLEET_NS })).items;
  const fullItems = JSON.stringify(listedItems);
  const fullMaps = JSON.stringify(listedMaps);
  const wireBytes = Buffer.byteLength(fullItems) + Buffer.byteLength(fullMaps);
  // What the manager keeps of the same objects: custom objects without managedFields, and the
  // ConfigMaps' metadata only.
  const cachedBytes =
    Buffer.byteLength(JSON.stringify(listedItems.map((o) => stripManagedFields(o)))) +
    Buffer.byteLength(JSON.stringify(listedMaps.map((o) => ({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: stripManagedFields(o).metadata }))));
  const heapNaive = (() => {
    const before = heapUsed();
    const kept = [JSON.parse(fullItems) as unknown[], JSON.parse(fullMaps) as unknown[]];
    const after = heapUsed();
    if (kept[0]?.length !== N || kept[1]?.length !== N) console.log(`  !! listed ${kept[0]?.length} objects and ${kept[1]?.length} ConfigMaps, expected ${N}`);
    return after - before;
  })();

  // ---- report ----
  const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const perObject = (w: number) => fmt(w / N, 2);
  console.log('');
  console.log(
    `${'phase'.padEnd(40)} ${'time s'.padStart(6)} ${'obj/s'.padStart(6)} ${'writes'.padStart(6)} ${'w/obj'.padStart(5)} ${'÷ceil'.padStart(6)}  ${'CPU s: node/apiserver/etcd/others'.padEnd(33)} ${'api ms/write'.padStart(12)}`,
  );
  for (const r of rows) {
    const rate = r.objects / r.seconds;
    const cpu = `${fmt(r.cpu.node)} / ${fmt(r.cpu.apiserver)} / ${fmt(r.cpu.etcd)} / ${fmt(others(r.cpu))}`;
    console.log(
      `${r.phase.padEnd(40)} ${fmt(r.seconds, 2).padStart(6)} ${fmt(rate, 0).padStart(6)} ${String(r.writes).padStart(6)} ${perObject(r.writes).padStart(5)} ${`${fmt(rate / ceilingRate, 2)}x`.padStart(6)}  ${cpu.padEnd(33)} ${fmt((1000 * r.cpu.apiserver) / r.writes, 2).padStart(12)}${r.note ? `\n${' '.repeat(6)}(${r.note})` : ''}`,
    );
  }
  const firstRate = N / op.first.seconds;
  const updateRate = N / op.update.seconds;
  const share = (r: Row) => fmt((100 * r.cpu.node) / (r.cpu.node + r.cpu.apiserver + r.cpu.etcd), 0);
  const ratio = (what: string, wall: number, cpu: number, note = '') => console.log(`  ${what.padEnd(52)} ${`${fmt(wall, 2)}x`.padStart(7)} ${Number.isFinite(cpu) ? `${fmt(cpu, 2)}x`.padStart(13) : ''.padStart(13)}   ${note}`);
  console.log('');
  console.log(`ratios: ceiling ${fmt(ceiling.before, 0)} objects/s before the operator, ${fmt(after, 0)} after; wall ratios use the mean, ${fmt(ceilingRate, 0)}.`);
  console.log(`CPU ratios compare CPU-seconds per object (node + apiserver + etcd), which other load on the box barely moves.`);
  console.log(`  ${''.padEnd(52)} ${'wall'.padStart(7)} ${'CPU/object'.padStart(13)}`);
  ratio('(b) tugboat ÷ ceiling (ConfigMap SSA creates)', firstRate / ceilingRate, ceilingCpu / cpuPerObject(op.first), `${fmt(firstRate, 0)} objects/s; ${fmt(1000 * cpuPerObject(op.first), 2)} vs ${fmt(1000 * ceilingCpu, 2)} CPU ms/object`);
  ratio('(b) tugboat ÷ its own two writes issued raw', firstRate / ceiling.firstPair, ceiling.firstPairCpu / cpuPerObject(op.first), `raw ConfigMap + status: ${fmt(ceiling.firstPair, 0)} objects/s, ${fmt(1000 * ceiling.firstPairCpu, 2)} CPU ms/object`);
  ratio('(c) no-op resync ÷ ceiling', N / op.resync.seconds / ceilingRate, NaN, `${fmt(N / op.resync.seconds, 0)} reconciles/s, ${op.resync.writes} writes`);
  ratio('(d) mass update ÷ ceiling', updateRate / ceilingRate, ceilingCpu / cpuPerObject(op.update), `${fmt(updateRate, 0)} objects/s; ${fmt(1000 * cpuPerObject(op.update), 2)} CPU ms/object`);
  ratio('(d) mass update ÷ its own two writes issued raw', updateRate / ceiling.updatePair, ceiling.updatePairCpu / cpuPerObject(op.update), `raw updates: ${fmt(ceiling.updatePair, 0)} objects/s, ${fmt(1000 * ceiling.updatePairCpu, 2)} CPU ms/object`);
  console.log(
    `  writes per object: first pass / resync / mass update    ${perObject(op.first.writes + op.firstEcho.writes)} / ${perObject(op.resync.writes)} / ${perObject(op.update.writes + op.updateEcho.writes)}  (2 is the minimum for a change: ConfigMap + status)`,
  );
  console.log(`  operator's share of CPU, node ÷ (node+apiserver+etcd)  ${share(op.first)}% in (b), ${share(op.update)}% in (d); the raw ceiling client's: ${share(ceiling.cmCreate)}%`);
  console.log(
    `  (e) manager heap per object                            ${fmt(heapHeld / N / 1024, 2)} KiB freed when it was gone (${fmt(heapGrowth / N / 1024, 2)} KiB grown since before create)`,
  );
  console.log(`      ÷ JSON of what it caches (${fmt(cachedBytes / N / 1024, 2)} KiB/object)         ${fmt(heapHeld / cachedBytes, 1)}x`);
  console.log(
    `      naive cache of full objects ÷ manager              ${fmt(heapNaive / heapHeld, 1)}x   (JSON.parse of the listed objects: ${fmt(heapNaive / N / 1024, 2)} KiB heap from ${fmt(wireBytes / N / 1024, 2)} KiB JSON per object)`,
  );
  console.log(`total ${fmt((performance.now() - started) / 1000, 0)} s, load ${load()}`);
} finally {
  await stopManager?.();
  await raw?.close();
  await cp.stop();
}
