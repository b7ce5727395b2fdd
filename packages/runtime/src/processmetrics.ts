// Process metrics under the names the Prometheus process collector uses in every Go operator
// (process_cpu_seconds_total, process_resident_memory_bytes, …), so the same dashboards read a
// TypeScript operator, plus the one a Node process needs most: event-loop delay. A Node operator
// runs reconciles, watch decoding and Lease renewals on one thread; when that thread is busy for
// seconds, renewals and probes starve even though no request is slow. The delay histogram is
// the number that tells "the apiserver is slow" from "we are".
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Registry } from './metrics.js';

export interface ProcessMetrics {
  /** The worst event-loop delay seen since the last call, in seconds (then resets the window). */
  takeMaxEventLoopDelaySeconds(): number;
  /** Stops sampling the event loop and removes the collector. */
  stop(): void;
}

// Node's monitorEventLoopDelay() did not see a 300 ms synchronous block in our checks (it
// reported ~12 ms), so delay is measured directly: an unref'd timer notes how late it fires.
function sampleEventLoop(resolutionMs: number, onSample: (lateMs: number) => void): () => void {
  let expected = performance.now() + resolutionMs;
  const timer = setInterval(() => {
    const t = performance.now();
    onSample(Math.max(0, t - expected));
    expected = t + resolutionMs;
  }, resolutionMs);
  timer.unref();
  return () => clearInterval(timer);
}

const startTimeSeconds = Math.floor(Date.now() / 1000 - process.uptime());

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * Registers process_* and nodejs_* families on `registry`, refreshed at each scrape. The
 * event loop is sampled every `resolutionMs` (default 10 ms, as prom-client does).
 */
export function registerProcessMetrics(registry: Registry, opts: { resolutionMs?: number } = {}): ProcessMetrics {
  const cpu = registry.counter({ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.' });
  const rss = registry.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.' });
  const start = registry.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.' });
  const fds = registry.gauge({ name: 'process_open_fds', help: 'Number of open file descriptors.' });
  const fdLimit = registry.gauge({ name: 'process_max_fds', help: 'Maximum number of open file descriptors.' });
  const heapUsed = registry.gauge({ name: 'nodejs_heap_size_used_bytes', help: 'Process heap size used from Node.js in bytes.' });
  const heapTotal = registry.gauge({ name: 'nodejs_heap_size_total_bytes', help: 'Process heap size from Node.js in bytes.' });
  const lag = registry.histogram({
    name: 'nodejs_eventloop_delay_seconds',
    help: 'How late a timer on the event loop fired. Seconds here are seconds in which no reconcile, watch event, probe or Lease renewal ran.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const lagMax = registry.gauge({ name: 'nodejs_eventloop_delay_max_seconds', help: 'The longest event-loop delay since the previous scrape.' });
  let scrapeMax = 0;
  let callerMax = 0;
  const stopSampling = sampleEventLoop(opts.resolutionMs ?? 10, (lateMs) => {
    const s = lateMs / 1000;
    lag.observe({}, s);
    if (s > scrapeMax) scrapeMax = s;
    if (s > callerMax) callerMax = s;
  });
  let cpuSeen = 0;
  start.set({}, startTimeSeconds);

  const collect = () => {
    const u = process.cpuUsage();
    const total = (u.user + u.system) / 1e6;
    if (total > cpuSeen) cpu.inc({}, total - cpuSeen);
    cpuSeen = Math.max(cpuSeen, total);
    const mem = process.memoryUsage();
    rss.set({}, mem.rss);
    heapUsed.set({}, mem.heapUsed);
    heapTotal.set({}, mem.heapTotal);
    const open = openFds();
    if (open !== undefined) fds.set({}, open);
    const limit = maxFds();
    if (limit !== undefined) fdLimit.set({}, limit);
    lagMax.set({}, scrapeMax);
    scrapeMax = 0;
  };
  const remove = registry.addCollector(collect);
  return {
    takeMaxEventLoopDelaySeconds() {
      const max = callerMax;
      callerMax = 0;
      return max;
    },
    stop() {
      remove();
      stopSampling();
    },
  };
}

const shared = new WeakMap<Registry, { metrics: ProcessMetrics; refs: number }>();

/**
 * The registry's process metrics, registered on first use and shared by every manager using that
 * registry (two sets of collectors would count CPU twice). `release()` stops sampling once the
 * last user has released it.
 */
export function acquireProcessMetrics(registry: Registry): Omit<ProcessMetrics, 'stop'> & { release(): void } {
  let entry = shared.get(registry);
  if (!entry) {
    entry = { metrics: registerProcessMetrics(registry), refs: 0 };
    shared.set(registry, entry);
  }
  entry.refs++;
  const e = entry;
  let released = false;
  return {
    takeMaxEventLoopDelaySeconds: () => e.metrics.takeMaxEventLoopDelaySeconds(),
    release() {
      if (released) return;
      released = true;
      if (--e.refs === 0) {
        e.metrics.stop();
        shared.delete(registry);
      }
    },
  };
}
