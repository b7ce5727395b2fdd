import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controllerMetrics, createRegistry, exponentialBuckets, leaderElectionMetrics, restClientMetrics, workqueueMetrics } from '../src/metrics.js';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in the text exposition format', () => {
    const r = createRegistry();
    const c = r.counter<'code' | 'method'>({ name: 'reqs_total', help: 'Requests.', labelNames: ['code', 'method'] });
    c.inc({ code: '200', method: 'GET' });
    c.inc({ code: '200', method: 'GET' }, 2);
    c.inc({ code: '404', method: 'GET' });
    const g = r.gauge({ name: 'up', help: 'Up.' });
    g.set({}, 1);
    const h = r.histogram<'verb'>({ name: 'lat_seconds', help: 'Latency.', labelNames: ['verb'], buckets: [0.1, 1] });
    h.observe({ verb: 'GET' }, 0.05);
    h.observe({ verb: 'GET' }, 0.5);
    h.observe({ verb: 'GET' }, 3);
    assert.equal(
      r.expose(),
      [
        '# HELP lat_seconds Latency.',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{verb="GET",le="0.1"} 1',
        'lat_seconds_bucket{verb="GET",le="1"} 2',
        'lat_seconds_bucket{verb="GET",le="+Inf"} 3',
        'lat_seconds_sum{verb="GET"} 3.55',
        'lat_seconds_count{verb="GET"} 3',
        '# HELP reqs_total Requests.',
        '# TYPE reqs_total counter',
        'reqs_total{code="200",method="GET"} 3',
        'reqs_total{code="404",method="GET"} 1',
        '# HELP up Up.',
        '# TYPE up gauge',
        'up 1',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and help text', () => {
    const r = createRegistry();
    r.counter<'path'>({ name: 'x_total', help: 'a \\ b\nc', labelNames: ['path'] }).inc({ path: 'a"b\\c\nd' });
    assert.equal(r.expose(), '# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{path="a\\"b\\\\c\\nd"} 1\n');
  });

  it('returns the same metric for a repeated registration and refuses a conflicting one', () => {
    const r = createRegistry();
    const a = r.counter<'l'>({ name: 'dup_total', help: 'h', labelNames: ['l'] });
    const b = r.counter<'l'>({ name: 'dup_total', help: 'h', labelNames: ['l'] });
    a.inc({ l: 'x' });
    assert.equal(b.get({ l: 'x' }), 1);
    assert.throws(() => r.gauge({ name: 'dup_total', help: 'h' }), /already registered/);
    assert.throws(() => r.counter<'m'>({ name: 'dup_total', help: 'h', labelNames: ['m'] }), /already registered/);
  });

  it('rejects invalid names, missing labels, reserved labels and decreasing counters', () => {
    const r = createRegistry();
    assert.throws(() => r.counter({ name: 'bad-name', help: 'h' }));
    assert.throws(() => r.histogram<'le'>({ name: 'h_seconds', help: 'h', labelNames: ['le'], buckets: [1] }));
    const c = r.counter<'a'>({ name: 'ok_total', help: 'h', labelNames: ['a'] });
    assert.throws(() => c.inc({} as { a: string }), /label a is missing/);
    assert.throws(() => c.inc({ a: 'x' }, -1), /cannot decrease/);
  });

  it('formats special values and supports gauge arithmetic and removal', () => {
    const r = createRegistry();
    const g = r.gauge<'k'>({ name: 'g', help: 'h', labelNames: ['k'] });
    g.set({ k: 'inf' }, Infinity);
    g.set({ k: 'nan' }, NaN);
    g.inc({ k: 'n' }, 5);
    g.dec({ k: 'n' }, 2);
    g.set({ k: 'gone' }, 1);
    g.remove({ k: 'gone' });
    assert.equal(r.expose(), '# HELP g h\n# TYPE g gauge\ng{k="inf"} +Inf\ng{k="n"} 3\ng{k="nan"} NaN\n');
  });

  it('runs collectors before each exposition until removed', () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'scrapes', help: 'h' });
    let n = 0;
    const remove = r.addCollector(() => g.set({}, ++n));
    assert.match(r.expose(), /^scrapes 1$/m);
    assert.match(r.expose(), /^scrapes 2$/m);
    remove();
    assert.match(r.expose(), /^scrapes 2$/m);
  });

  it('builds exponential buckets like client-go', () => {
    const b = exponentialBuckets(10e-9, 10, 12);
    assert.equal(b.length, 12);
    assert.equal(b[0], 1e-8);
    assert.equal(b[11], 1000);
  });

  it('declares the controller-runtime and client-go metric families by their exact names', () => {
    const r = createRegistry();
    const c = controllerMetrics(r);
    const q = workqueueMetrics(r);
    const rest = restClientMetrics(r);
    const le = leaderElectionMetrics(r);
    c.reconcileTotal.inc({ controller: 'x', result: 'success' });
    c.reconcileErrors.inc({ controller: 'x' }, 0);
    c.terminalReconcileErrors.inc({ controller: 'x' }, 0);
    c.reconcilePanics.inc({ controller: 'x' }, 0);
    c.reconcileTime.observe({ controller: 'x' }, 0.01);
    c.maxConcurrentReconciles.set({ controller: 'x' }, 1);
    c.activeWorkers.set({ controller: 'x' }, 0);
    const ql = { name: 'x', controller: 'x' };
    q.depth.set(ql, 0);
    q.adds.inc(ql);
    q.queueDuration.observe(ql, 0.001);
    q.workDuration.observe(ql, 0.001);
    q.unfinishedWork.set(ql, 0);
    q.longestRunning.set(ql, 0);
    q.retries.inc(ql);
    rest.requests.inc({ code: '200', method: 'GET', host: '127.0.0.1:6443' });
    rest.duration.observe({ verb: 'GET', host: '127.0.0.1:6443' }, 0.002);
    le.masterStatus.set({ name: 'lease' }, 1);
    const text = r.expose();
    for (const name of [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_terminal_reconcile_errors_total',
      'controller_runtime_reconcile_panics_total',
      'controller_runtime_reconcile_time_seconds',
      'controller_runtime_max_concurrent_reconciles',
      'controller_runtime_active_workers',
      'workqueue_depth',
      'workqueue_adds_total',
      'workqueue_queue_duration_seconds',
      'workqueue_work_duration_seconds',
      'workqueue_unfinished_work_seconds',
      'workqueue_longest_running_processor_seconds',
      'workqueue_retries_total',
      'rest_client_requests_total',
      'rest_client_request_duration_seconds',
      'leader_election_master_status',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.match(text, /^controller_runtime_reconcile_total\{controller="x",result="success"\} 1$/m);
    assert.match(text, /^rest_client_requests_total\{code="200",method="GET",host="127.0.0.1:6443"\} 1$/m);
    assert.match(text, /^controller_runtime_reconcile_time_seconds_bucket\{controller="x",le="60"\} 1$/m);
  });
});
