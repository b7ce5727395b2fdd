// What it costs to turn a watch stream's bytes into events, against the floor of parsing the
// same bytes in one piece. A watch body is newline-delimited JSON arriving in chunks that cut
// objects (and UTF-8 characters) anywhere; decodeJsonLines (packages/runtime/src/watch.ts) must
// buffer, split and parse line by line. The floor is one TextDecoder.decode plus one JSON.parse
// of the same events written as a single JSON array: no splitting, no per-line parse calls, no
// async iteration. A second reference parses the same lines already split into strings, one
// JSON.parse each: the parse work with a stream's short object lifetimes, minus chunking and
// async iteration.
//
// Two streams: 50,000 events of ~1 KB (a fleet's ConfigMaps, the common case), and a few
// objects near etcd's 1.5 MiB limit (a large ConfigMap or CRD), where one object spans many
// chunks.
//
// Every figure is a ratio against the floor measured in this same run (best of several runs
// after a warm-up; the median is shown too). Not a test: nothing here asserts a time.
//
//   BENCH_EVENTS        events in the fleet stream (default 50,000)
//   BENCH_LARGE_EVENTS  ~1 MB events in the large-object stream (default 20; 0 skips it)
//   BENCH_RUNS          timed runs per row (default 7)
//   BENCH_CHUNKS        comma-separated chunk sizes in bytes (default 4096,16384,65536)
import { loadavg } from 'node:os';
import { decodeJsonLines, toWatchEvent } from '@tugboat/runtime';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 50_000);
const LARGE_EVENTS = Number(process.env['BENCH_LARGE_EVENTS'] ?? 20);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const CHUNKS = (process.env['BENCH_CHUNKS'] ?? '4096,16384,65536').split(',').map(Number);

/**
 * A MODIFIED event for a ConfigMap as the apiserver sends it to an informer: managedFields
 * included (the informer strips them after parsing), a rendered config of `configBytes`, and a
 * non-ASCII character so chunk boundaries also split multi-byte sequences.
 */
function event(i: number, configBytes = 0): string {
  const name = `lb-${i}`;
  const cfg = `global\n  maxconn 50000\n# tenant café-${i % 500}\nfrontend fe\n  bind 10.0.${(i >> 8) & 255}.${i & 255}:443\n  default_backend be\nbackend be\n  balance roundrobin\n  server s1 10.1.${(i >> 8) & 255}.${i & 255}:8443 check\n  server s2 10.2.${(i >> 8) & 255}.${i & 255}:8443 check\n`;
  return JSON.stringify({
    type: 'MODIFIED',
    object: {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: {
        name,
        namespace: `tenant-${i % 500}`,
        uid: `6f1c2b8e-0000-4000-8000-${String(i).padStart(12, '0')}`,
        resourceVersion: String(100_000 + i),
        creationTimestamp: '2026-11-25T10:00:00Z',
        labels: { 'app.kubernetes.io/name': 'haproxy', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'tugboat' },
        annotations: { 'tugboat.dev/applied-hash': `h${(i * 2654435761) >>> 0}` },
        ownerReferences: [{ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', name, uid: `lb-uid-${i}`, controller: true, blockOwnerDeletion: true }],
        managedFields: [
          {
            manager: 'tugboat-loadbalancer',
            operation: 'Apply',
            apiVersion: 'v1',
            time: '2026-11-25T10:00:00Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:data': { 'f:haproxy.cfg': {} }, 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {}, 'f:app.kubernetes.io/instance': {} } } },
          },
        ],
      },
      data: { 'haproxy.cfg': configBytes > cfg.length ? cfg.repeat(Math.ceil(configBytes / cfg.length)) : cfg },
    },
  });
}

async function* chunked(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, Math.min(off + size, buf.length));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

interface Row {
  what: string;
  run: () => Promise<number> | number;
  ms: number[];
}

/** Times every row RUNS times and prints best, median, throughput and the ratio to the first row. */
async function section(title: string, lines: string[], chunks: number[]): Promise<void> {
  const count = lines.length;
  const streamBytes = Buffer.from(lines.join('\n') + '\n', 'utf8');
  const arrayBytes = Buffer.from(`[${lines.join(',')}]`, 'utf8');
  const rows: Row[] = [
    { what: 'floor: one decode + JSON.parse of an array', run: () => (JSON.parse(new TextDecoder().decode(arrayBytes)) as unknown[]).length, ms: [] },
    {
      what: 'reference: JSON.parse per pre-split line',
      run: () => {
        let n = 0;
        for (const l of lines) if ((JSON.parse(l) as { type: string }).type === 'MODIFIED') n++;
        return n;
      },
      ms: [],
    },
    ...chunks.map((size) => ({
      what: `decodeJsonLines, ${size / 1024} KiB chunks`,
      run: async () => {
        let n = 0;
        for await (const _ of decodeJsonLines(chunked(streamBytes, size))) n++;
        return n;
      },
      ms: [],
    })),
    {
      what: '+ toWatchEvent (the client path), 16 KiB',
      run: async () => {
        let n = 0;
        for await (const raw of decodeJsonLines(chunked(streamBytes, 16_384))) if (toWatchEvent(raw).type === 'MODIFIED') n++;
        return n;
      },
      ms: [],
    },
  ];

  // Rows take turns, run after run, so load from anything else on the machine falls on all of
  // them alike; the best run is the closest to the code's own cost, the median shows the spread.
  for (const r of rows) await r.run(); // warm-up: JIT, the decoder's first allocations
  for (let i = 0; i < RUNS; i++) {
    for (const r of rows) {
      globalThis.gc?.();
      const t = process.hrtime.bigint();
      const seen = await r.run();
      r.ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      // A decoder that lost or invented events would make every number here meaningless.
      if (seen !== count) throw new Error(`${r.what}: decoded ${seen} events, expected ${count}`);
    }
  }

  const mb = streamBytes.length / 1e6;
  const floor = Math.min(...(rows[0]?.ms ?? [NaN]));
  console.log(`${title}: ${count} events, ${mb.toFixed(1)} MB (${Math.round(streamBytes.length / count)} B/event)`);
  for (const r of rows) {
    const best = Math.min(...r.ms);
    const perEvent = (best * 1e6) / count;
    console.log(
      `  ${r.what.padEnd(44)} best ${best.toFixed(0).padStart(5)} ms  median ${median(r.ms).toFixed(0).padStart(5)} ms  ${(mb / (best / 1000)).toFixed(0).padStart(4)} MB/s  ${perEvent >= 1e6 ? `${(perEvent / 1e6).toFixed(1).padStart(6)} ms` : `${perEvent.toFixed(0).padStart(6)} ns`}/event  ${(best / floor).toFixed(2).padStart(5)}x floor`,
    );
  }
}

console.log(`watch-decode benchmark: best and median of ${RUNS} runs (node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
await section(
  'fleet stream',
  Array.from({ length: EVENTS }, (_, i) => event(i)),
  CHUNKS,
);
if (LARGE_EVENTS > 0) {
  await section(
    'large objects',
    Array.from({ length: LARGE_EVENTS }, (_, i) => event(i, 1_000_000)),
    CHUNKS.filter((c) => c >= 16_384),
  );
}
