// What a reconciler receives and returns. A Request names an object, never an event: the
// reconciler reads the current state and makes the world match it (level-based), so missed or
// merged events cannot make it wrong.
import type { ObjectKey } from './object.js';

/** The object to reconcile (`namespace` is absent for cluster-scoped kinds). */
export type Request = ObjectKey;

/**
 * - nothing (undefined): done; wait for the next change.
 * - `{ requeueAfter: ms }`: run again after ms (polling something outside Kubernetes, expiry).
 * - `{ requeue: true }`: run again soon, with the same per-object backoff an error gets.
 * Errors thrown are retried with backoff unless wrapped with terminal().
 */
export type Result = void | undefined | { requeueAfter?: number; requeue?: boolean };

/**
 * An error that retrying will not fix (invalid spec the webhook could not catch, a missing
 * reference the user must create). The controller records it and does not requeue; the next
 * change to the object triggers a new reconcile.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** Wraps `err` so the controller does not retry it. */
export function terminal(err: unknown): TerminalError {
  if (err instanceof TerminalError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TerminalError(message, { cause: err });
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}

/** Normalizes a Result into what the controller does next. */
export type Outcome = { kind: 'done' } | { kind: 'requeueAfter'; ms: number } | { kind: 'requeue' };

export function outcomeOf(result: Result): Outcome {
  if (!result) return { kind: 'done' };
  if (result.requeueAfter !== undefined && result.requeueAfter > 0) return { kind: 'requeueAfter', ms: result.requeueAfter };
  if (result.requeue === true) return { kind: 'requeue' };
  return { kind: 'done' };
}
