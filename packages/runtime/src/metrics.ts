// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
// text exposition format (version 0.0.4). We keep our own instead of prom-client so the
// runtime has no global side effects on import and so the metric *names* can match
// controller-runtime and client-go exactly: dashboards and alerts written for Go operators
// (the kubebuilder grafana plugin, Operator SDK level-4 guidance) work unchanged.

export type Labels<L extends string> = { readonly [K in L]: string };

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  render(): string[];
}

export interface Counter<L extends string = never> {
  inc(labels: Labels<L>, by?: number): void;
  get(labels: Labels<L>): number;
}

export interface Gauge<L extends string = never> {
  set(labels: Labels<L>, value: number): void;
  inc(labels: Labels<L>, by?: number): void;
  dec(labels: Labels<L>, by?: number): void;
  get(labels: Labels<L>): number;
  remove(labels: Labels<L>): void;
}

export interface HistogramSnapshot {
  count: number;
  sum: number;
  /** Cumulative counts, one per bucket upper bound (without +Inf). */
  buckets: number[];
}

export interface Histogram<L extends string = never> {
  observe(labels: Labels<L>, value: number): void;
  get(labels: Labels<L>): HistogramSnapshot;
}

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  buckets: readonly number[];
}

export interface Registry {
  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L>;
  gauge<L extends string = never>(opts: MetricOptions<L>): Gauge<L>;
  histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L>;
  /**
   * Runs `fn` before every exposition, to refresh values cheaper to compute at scrape time
   * than to track (e.g. how long the current work items have been running). Returns a
   * function that removes it.
   */
  addCollector(fn: () => void): () => void;
  /** All families in the text exposition format, sorted by name. */
  expose(): string;
}

export const exposition = { contentType: 'text/plain; version=0.0.4; charset=utf-8' } as const;

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

// Children are keyed by their label values joined with a separator no label value can hold
// unescaped in this map key (NUL), so {a="x",b="y"} and {a="x\u0000b"} never collide.
function childKey(labelNames: readonly string[], labels: Record<string, string>): { key: string; values: string[] } {
  const values = labelNames.map((n) => {
    const v = labels[n];
    if (v === undefined) throw new TypeError(`metric label ${n} is missing`);
    return v;
  });
  return { key: values.join('\u0000'), values };
}

function checkNames(name: string, labelNames: readonly string[], reserved: readonly string[] = []): void {
  if (!metricName.test(name)) throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
  for (const l of labelNames) {
    if (!labelName.test(l) || l.startsWith('__') || reserved.includes(l)) {
      throw new TypeError(`invalid label name ${JSON.stringify(l)} on ${name}`);
    }
  }
}

function header(f: Family): string[] {
  return [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
}

function sortedEntries<V>(m: Map<string, { values: string[]; v: V }>): { values: string[]; v: V }[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

function makeScalar<L extends string>(opts: MetricOptions<L>, type: 'counter' | 'gauge') {
  const labelNames: readonly string[] = opts.labelNames ?? [];
  checkNames(opts.name, labelNames);
  const children = new Map<string, { values: string[]; v: number }>();
  const child = (labels: Labels<L>) => {
    const { key, values } = childKey(labelNames, labels);
    let c = children.get(key);
    if (!c) {
      c = { values, v: 0 };
      children.set(key, c);
    }
    return c;
  };
  const family: Family = {
    name: opts.name,
    help: opts.help,
    type,
    labelNames,
    render() {
      const lines = header(family);
      for (const { values, v } of sortedEntries(children)) {
        lines.push(`${opts.name}${renderLabels(labelNames, values)} ${formatValue(v)}`);
      }
      return lines;
    },
  };
  return { family, children, child };
}

/** Bucket bounds `start, start*factor, …` (count of them), like prometheus.ExponentialBuckets. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0, b = start; i < count; i++, b *= factor) out.push(Number(b.toPrecision(12)));
  return out;
}

export function createRegistry(): Registry {
  const families = new Map<string, { family: Family; metric: unknown }>();
  const collectors = new Set<() => void>();

  // Registering a name twice returns the first metric, so several controllers or managers in
  // one process (tests, sharded managers) share one family instead of failing. A second
  // registration with another type or other labels is a programming error.
  function register<M>(name: string, type: Family['type'], labelNames: readonly string[], make: () => { family: Family; metric: M }): M {
    const existing = families.get(name);
    if (existing) {
      const f = existing.family;
      if (f.type !== type || f.labelNames.join(',') !== labelNames.join(',')) {
        throw new TypeError(`metric ${name} is already registered as a ${f.type} with labels [${f.labelNames.join(',')}]`);
      }
      return existing.metric as M;
    }
    const made = make();
    families.set(name, made);
    return made.metric;
  }

  return {
    counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
      return register(opts.name, 'counter', opts.labelNames ?? [], () => {
        const s = makeScalar(opts, 'counter');
        const metric: Counter<L> = {
          inc(labels, by = 1) {
            if (by < 0) throw new RangeError(`counter ${opts.name} cannot decrease`);
            s.child(labels).v += by;
          },
          get: (labels) => s.child(labels).v,
        };
        return { family: s.family, metric };
      });
    },

    gauge<L extends string = never>(opts: MetricOptions<L>): Gauge<L> {
      return register(opts.name, 'gauge', opts.labelNames ?? [], () => {
        const s = makeScalar(opts, 'gauge');
        const metric: Gauge<L> = {
          set(labels, value) {
            s.child(labels).v = value;
          },
          inc(labels, by = 1) {
            s.child(labels).v += by;
          },
          dec(labels, by = 1) {
            s.child(labels).v -= by;
          },
          get: (labels) => s.child(labels).v,
          remove(labels) {
            s.children.delete(childKey(s.family.labelNames, labels).key);
          },
        };
        return { family: s.family, metric };
      });
    },

    histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L> {
      const labelNames: readonly string[] = opts.labelNames ?? [];
      return register(opts.name, 'histogram', labelNames, () => {
        checkNames(opts.name, labelNames, ['le']);
        const bounds = [...opts.buckets].sort((a, b) => a - b);
        const children = new Map<string, { values: string[]; v: { counts: number[]; sum: number; count: number } }>();
        const child = (labels: Labels<L>) => {
          const { key, values } = childKey(labelNames, labels);
          let c = children.get(key);
          if (!c) {
            c = { values, v: { counts: bounds.map(() => 0), sum: 0, count: 0 } };
            children.set(key, c);
          }
          return c.v;
        };
        const family: Family = {
          name: opts.name,
          help: opts.help,
          type: 'histogram',
          labelNames,
          render() {
            const lines = header(family);
            for (const { values, v } of sortedEntries(children)) {
              let cumulative = 0;
              bounds.forEach((b, i) => {
                cumulative += v.counts[i] ?? 0;
                lines.push(`${opts.name}_bucket${renderLabels(labelNames, values, ['le', formatValue(b)])} ${cumulative}`);
              });
              lines.push(`${opts.name}_bucket${renderLabels(labelNames, values, ['le', '+Inf'])} ${v.count}`);
              lines.push(`${opts.name}_sum${renderLabels(labelNames, values)} ${formatValue(v.sum)}`);
              lines.push(`${opts.name}_count${renderLabels(labelNames, values)} ${v.count}`);
            }
            return lines;
          },
        };
        const metric: Histogram<L> = {
          observe(labels, value) {
            const c = child(labels);
            const i = bounds.findIndex((b) => value <= b);
            if (i >= 0) c.counts[i] = (c.counts[i] ?? 0) + 1;
            c.sum += value;
            c.count += 1;
          },
          get(labels) {
            const c = child(labels);
            let cumulative = 0;
            return { count: c.count, sum: c.sum, buckets: c.counts.map((n) => (cumulative += n)) };
          },
        };
        return { family, metric };
      });
    },

    addCollector(fn) {
      collectors.add(fn);
      return () => collectors.delete(fn);
    },

    expose() {
      for (const fn of collectors) fn();
      const names = [...families.keys()].sort();
      const lines: string[] = [];
      for (const n of names) lines.push(...families.get(n)!.family.render());
      return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
    },
  };
}

/**
 * The process-wide registry, like controller-runtime's `metrics.Registry`: the client, the
 * work queues, controllers and leader election register here unless given another one, and
 * the manager serves it on /metrics.
 */
export const defaultRegistry: Registry = createRegistry();

// ---- Well-known families. Names, labels and buckets follow client-go / controller-runtime. ----

const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0,
  2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

export function controllerMetrics(registry: Registry = defaultRegistry) {
  return {
    reconcileTotal: registry.counter<'controller' | 'result'>({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
    }),
    reconcileErrors: registry.counter<'controller'>({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
    }),
    terminalReconcileErrors: registry.counter<'controller'>({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
    }),
    reconcilePanics: registry.counter<'controller'>({
      name: 'controller_runtime_reconcile_panics_total',
      help: 'Total number of reconciliation panics per controller',
      labelNames: ['controller'],
    }),
    reconcileTime: registry.histogram<'controller'>({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: reconcileBuckets,
    }),
    maxConcurrentReconciles: registry.gauge<'controller'>({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
    }),
    activeWorkers: registry.gauge<'controller'>({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
    }),
  };
}
export type ControllerMetrics = ReturnType<typeof controllerMetrics>;

// client-go's workqueue durations span 10ns … 1000s.
const queueBuckets = exponentialBuckets(10e-9, 10, 12);

export function workqueueMetrics(registry: Registry = defaultRegistry) {
  type Q = 'name' | 'controller';
  const labelNames: Q[] = ['name', 'controller'];
  return {
    depth: registry.gauge<Q>({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames }),
    adds: registry.counter<Q>({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames }),
    queueDuration: registry.histogram<Q>({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames,
      buckets: queueBuckets,
    }),
    workDuration: registry.histogram<Q>({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames,
      buckets: queueBuckets,
    }),
    unfinishedWork: registry.gauge<Q>({
      name: 'workqueue_unfinished_work_seconds',
      help:
        'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.',
      labelNames,
    }),
    longestRunning: registry.gauge<Q>({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames,
    }),
    retries: registry.counter<Q>({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames }),
  };
}
export type WorkqueueMetrics = ReturnType<typeof workqueueMetrics>;

export function restClientMetrics(registry: Registry = defaultRegistry) {
  return {
    requests: registry.counter<'code' | 'method' | 'host'>({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests, partitioned by status code, method, and host.',
      labelNames: ['code', 'method', 'host'],
    }),
    duration: registry.histogram<'verb' | 'host'>({
      name: 'rest_client_request_duration_seconds',
      help: 'Request latency in seconds. Broken down by verb, and host.',
      labelNames: ['verb', 'host'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0],
    }),
  };
}
export type RestClientMetrics = ReturnType<typeof restClientMetrics>;

export function leaderElectionMetrics(registry: Registry = defaultRegistry) {
  return {
    masterStatus: registry.gauge<'name'>({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. \'name\' is the string used to identify the lease. Please make sure to group by name.',
      labelNames: ['name'],
    }),
  };
}
