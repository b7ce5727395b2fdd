import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTerminal, outcomeOf, terminal, TerminalError } from '../src/reconcile.js';

describe('reconcile results', () => {
  it('maps results to what the controller does next', () => {
    assert.deepEqual(outcomeOf(undefined), { kind: 'done' });
    assert.deepEqual(outcomeOf({}), { kind: 'done' });
    assert.deepEqual(outcomeOf({ requeueAfter: 1500 }), { kind: 'requeueAfter', ms: 1500 });
    assert.deepEqual(outcomeOf({ requeue: true }), { kind: 'requeue' });
    assert.deepEqual(outcomeOf({ requeueAfter: 0 }), { kind: 'done' });
    assert.deepEqual(outcomeOf({ requeueAfter: 10, requeue: true }), { kind: 'requeueAfter', ms: 10 }, 'requeueAfter wins, as in controller-runtime');
  });

  it('terminal() wraps any error once and keeps the cause', () => {
    const cause = new Error('spec.port is out of range');
    const t = terminal(cause);
    assert.ok(t instanceof TerminalError);
    assert.equal(t.message, cause.message);
    assert.equal(t.cause, cause);
    assert.equal(terminal(t), t);
    assert.equal(isTerminal(t), true);
    assert.equal(isTerminal(cause), false);
    assert.equal(terminal('plain string').message, 'plain string');
  });
});
