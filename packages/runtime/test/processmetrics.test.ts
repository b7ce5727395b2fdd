import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRegistry } from '../src/metrics.js';
import { acquireProcessMetrics, registerProcessMetrics } from '../src/processmetrics.js';

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `${series} missing from:\n${text}`);
  return Number(line.slice(series.length + 1));
}

function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* a reconcile that never yields */
  }
}

describe('process metrics', () => {
  it('exposes the Go process collector names with this process values', () => {
    const r = createRegistry();
    const pm = registerProcessMetrics(r);
    try {
      blockFor(20);
      const text = r.expose();
      assert.ok(value(text, 'process_cpu_seconds_total') > 0);
      assert.ok(value(text, 'process_resident_memory_bytes') > 1e6);
      const started = value(text, 'process_start_time_seconds');
      assert.ok(started <= Date.now() / 1000 && started > Date.now() / 1000 - 3600);
      assert.ok(value(text, 'process_open_fds') > 2);
      assert.ok(value(text, 'nodejs_heap_size_used_bytes') > 0);
      assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
      // The counter never goes backwards between scrapes.
      const a = value(r.expose(), 'process_cpu_seconds_total');
      blockFor(20);
      assert.ok(value(r.expose(), 'process_cpu_seconds_total') >= a);
    } finally {
      pm.stop();
    }
  });

  it('shows a blocked event loop in nodejs_eventloop_delay_max_seconds and to a caller, then resets', async () => {
    const r = createRegistry();
    const pm = registerProcessMetrics(r);
    try {
      await new Promise((res) => setTimeout(res, 50));
      r.expose(); // start a fresh window
      pm.takeMaxEventLoopDelaySeconds();
      blockFor(300);
      await new Promise((res) => setTimeout(res, 30));
      const text = r.expose();
      assert.ok(value(text, 'nodejs_eventloop_delay_max_seconds') >= 0.25, text);
      assert.ok(pm.takeMaxEventLoopDelaySeconds() >= 0.25, 'the caller window saw the block as well');
      assert.match(text, /^nodejs_eventloop_delay_seconds_bucket\{le="0\.5"\} [1-9]/m, 'the late sample is in the histogram');
      await new Promise((res) => setTimeout(res, 50));
      assert.ok(value(r.expose(), 'nodejs_eventloop_delay_max_seconds') < 0.25, 'the scrape window was reset');
    } finally {
      pm.stop();
    }
  });

  it('registers once per registry however many managers share it', () => {
    const r = createRegistry();
    const a = acquireProcessMetrics(r);
    const b = acquireProcessMetrics(r);
    blockFor(30);
    const text = r.expose();
    // Two collectors would each add the whole CPU time: the value would be twice process.cpuUsage().
    const u = process.cpuUsage();
    assert.ok(value(text, 'process_cpu_seconds_total') <= (u.user + u.system) / 1e6 + 0.001);
    a.release();
    b.release();
    b.release(); // idempotent
    const c = acquireProcessMetrics(r);
    c.release();
  });
});
