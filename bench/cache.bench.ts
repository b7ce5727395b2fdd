// How the informer cache's design pays off at fleet size (100,000 objects, as one LB shard holds).
// Every figure is a ratio against a baseline measured in this same run:
//  - lookup by key and by owner index in @tugboat/runtime's Map-keyed store, against scanning an
//    array the way @kubernetes/client-node's ListWatch cache does;
//  - heap held per cached object with managedFields/last-applied stripped (the default
//    transform), against keeping them.
// Not a test: nothing here asserts a time.
import { createStore, indexByOwnerUid, stripManagedFields, type KubeObject } from '@tugboat/runtime';

const N = Number(process.env['BENCH_OBJECTS'] ?? 100_000);
const LOOKUPS = 500;

function makeObject(i: number): KubeObject & { data: Record<string, string> } {
  const name = `lb-${i}`;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: `tenant-${i % 500}`,
      uid: `cm-${i}`,
      resourceVersion: String(1000 + i),
      labels: { 'app.kubernetes.io/name': 'haproxy', 'app.kubernetes.io/instance': name },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ metadata: { name }, data: { 'haproxy.cfg': 'x'.repeat(300) } }),
      },
      ownerReferences: [{ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', name, uid: `lb-${i}`, controller: true }],
      managedFields: [
        { manager: 'tugboat-loadbalancer', operation: 'Apply', apiVersion: 'v1', time: '2026-11-25T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:haproxy.cfg': {} }, 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {}, 'f:app.kubernetes.io/instance': {} } } } },
      ],
    },
    data: { 'haproxy.cfg': `global\n  maxconn 50000\nfrontend f\n  bind 127.0.10.${i % 250}:80\n` },
  };
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function heapOf(build: () => unknown): number {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const keep = build();
  globalThis.gc?.();
  const after = process.memoryUsage().heapUsed;
  if (keep === null) console.log('');
  return after - before;
}

const objects = Array.from({ length: N }, (_, i) => makeObject(i));
const probes = Array.from({ length: LOOKUPS }, (_, i) => (i * 7919) % N);

// Baseline: an array cache, found by scanning.
const array = objects.slice();
let found = 0;
const arrayKeyMs = time(() => {
  for (const p of probes) {
    const ns = `tenant-${p % 500}`;
    const name = `lb-${p}`;
    if (array.find((o) => o.metadata.namespace === ns && o.metadata.name === name)) found++;
  }
});
const arrayOwnerMs = time(() => {
  for (const p of probes) found += array.filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === `lb-${p}`)).length;
});

const store = createStore<KubeObject>();
for (const o of objects) store.upsert(o);
store.addIndex('owner', indexByOwnerUid);
const storeKeyMs = time(() => {
  for (const p of probes) if (store.get({ namespace: `tenant-${p % 500}`, name: `lb-${p}` })) found++;
});
const storeOwnerMs = time(() => {
  for (const p of probes) found += store.byIndex('owner', `lb-${p}`).length;
});
if (found !== LOOKUPS * 4) throw new Error(`lookups disagree: ${found}`);

const fullHeap = heapOf(() => Array.from({ length: N }, (_, i) => makeObject(i)));
const strippedHeap = heapOf(() => Array.from({ length: N }, (_, i) => stripManagedFields(makeObject(i))));

const row = (what: string, base: number, ours: number, unit: string) =>
  console.log(`${what.padEnd(44)} baseline ${base.toFixed(1).padStart(10)} ${unit}  tugboat ${ours.toFixed(1).padStart(10)} ${unit}  ratio ${(base / ours).toFixed(1)}x`);
console.log(`cache benchmark: ${N} objects, ${LOOKUPS} lookups each (node ${process.version})`);
row('get by namespace/name (array scan vs Map)', arrayKeyMs, storeKeyMs, 'ms');
row('children of an owner (filter vs index)', arrayOwnerMs, storeOwnerMs, 'ms');
row('heap per object (full vs stripped)', fullHeap / N, strippedHeap / N, 'B ');
