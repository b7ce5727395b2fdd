import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { createLogger } from '../src/log.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ ...(level ? { level } : {}), write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), now: () => new Date('2026-01-01T00:00:00Z') });
  return { log, lines };
}

describe('log', () => {
  it('writes one JSON object per line with ts, level, msg and fields', () => {
    const { log, lines } = capture();
    log.info('reconciled', { name: 'web', took: 3 });
    assert.deepEqual(lines, [{ ts: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'reconciled', name: 'web', took: 3 }]);
  });

  it('filters by level', () => {
    const { log, lines } = capture('warn');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    assert.deepEqual(lines.map((l) => l.level), ['warn', 'error']);
    assert.equal(log.enabled('info'), false);
  });

  it('child loggers carry their keys; call fields win', () => {
    const { log, lines } = capture();
    const c = log.child({ controller: 'lb', name: 'a' }).child({ reconcileID: 'r1' });
    c.info('x', { name: 'b' });
    assert.deepEqual(lines[0], { ts: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'x', controller: 'lb', name: 'b', reconcileID: 'r1' });
  });

  it('serializes errors by name, message and reason, and redacts credential-like keys', () => {
    const { log, lines } = capture();
    const err = new ApiError({ reason: 'Conflict', code: 409, message: 'the object has been modified' });
    log.error('failed', { err, password: 'hunter2', nested: { apiToken: 'abc', ok: 1 } });
    assert.deepEqual(lines[0]?.err, { name: 'ApiError', message: 'the object has been modified', reason: 'Conflict', code: 409 });
    assert.equal(lines[0]?.password, '[redacted]');
    assert.deepEqual(lines[0]?.nested, { apiToken: '[redacted]', ok: 1 });
    assert.doesNotMatch(JSON.stringify(lines), /hunter2|abc"/);
  });

  it('fields cannot forge the envelope', () => {
    const { log, lines } = capture();
    log.info('real', { msg: 'fake', level: 'error' });
    assert.equal(lines[0]?.msg, 'real');
    assert.equal(lines[0]?.level, 'info');
  });
});
