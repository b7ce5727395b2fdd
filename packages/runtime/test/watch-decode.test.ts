import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGone } from '../src/errors.js';
import { decodeJsonLines, isInitialEventsEnd, toWatchEvent } from '../src/watch.js';

async function collect(chunks: (string | Uint8Array)[]): Promise<unknown[]> {
  async function* gen() {
    yield* chunks;
  }
  const out: unknown[] = [];
  for await (const v of decodeJsonLines(gen())) out.push(v);
  return out;
}

describe('decodeJsonLines', () => {
  it('reassembles objects split across chunks and splits several per chunk', async () => {
    const out = await collect(['{"a":', '1}\n{"b":2}\n{"c"', ':3}\n']);
    assert.deepEqual(out, [{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('keeps multi-byte characters that straddle a chunk boundary intact', async () => {
    const bytes = new TextEncoder().encode('{"name":"héllo—✓"}\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    const out = await collect([bytes.slice(0, cut), bytes.slice(cut)]);
    assert.deepEqual(out, [{ name: 'héllo—✓' }]);
  });

  it('skips blank lines and reads a last line without newline', async () => {
    assert.deepEqual(await collect(['\n{"a":1}\r\n\n', '{"b":2}']), [{ a: 1 }, { b: 2 }]);
  });

  it('fails loudly on a corrupt line', async () => {
    await assert.rejects(collect(['{"a":1}\n{oops}\n']), SyntaxError);
  });
});

describe('toWatchEvent', () => {
  it('passes known event types through', () => {
    const ev = toWatchEvent({ type: 'ADDED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } });
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.metadata.name, 'x');
  });

  it('throws a typed ApiError for an ERROR event (410 Gone after compaction)', () => {
    assert.throws(
      () => toWatchEvent({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 5 (90)', reason: 'Expired', code: 410 } }),
      (e: unknown) => isGone(e) && e.message.includes('too old'),
    );
  });

  it('rejects malformed events', () => {
    assert.throws(() => toWatchEvent({ type: 'WHAT', object: {} }), TypeError);
    assert.throws(() => toWatchEvent('x'), TypeError);
  });

  it('recognises the bookmark that ends WatchList initial events', () => {
    const end = toWatchEvent({ type: 'BOOKMARK', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '9', annotations: { 'k8s.io/initial-events-end': 'true' } } } });
    const plain = toWatchEvent({ type: 'BOOKMARK', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '9' } } });
    assert.equal(isInitialEventsEnd(end), true);
    assert.equal(isInitialEventsEnd(plain), false);
  });
});
