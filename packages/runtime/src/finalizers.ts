// Finalizers: work that must happen before an object may disappear (release an IP address,
// drop a database). The flow, run on every reconcile:
//
//   not being deleted, finalizer missing  → add it, then run the normal reconcile
//   being deleted, finalizer present      → run cleanup, then remove the finalizer
//   being deleted, finalizer gone         → nothing (another pass already finished)
//
// Safe under retries — the hard part is the window between "cleanup succeeded" and "the
// removal reached the apiserver". A reconcile can run again inside it: the removal failed
// (a conflict, a webhook, the network) and is retried, or a stale cache still shows the
// finalizer after it was removed. Cleanup must not run twice there, so:
//
//  1. Completed cleanups are remembered in memory by (object uid, finalizer). A rerun for the
//     same incarnation of the object skips straight to the removal. The uid is never reused,
//     so an entry can only ever suppress a duplicate; entries expire after `memoTtlMs`.
//  2. The removal is a JSON patch that tests the uid and the finalizer's position, so it
//     never removes someone else's finalizer or touches a newer object of the same name, and
//     it cannot resurrect a deleted object (a patch never creates). It is retried on the
//     spot when the list moved under it.
//
// What memory cannot cover: the process dying (or losing leadership) after cleanup finished
// and before the removal landed. The next leader then runs cleanup again. No client-side
// scheme can close that gap — the cleanup's side effect and the finalizer removal are two
// writes to two systems — so cleanups must still be idempotent: "release address X if held
// by uid U", not "release one address". The object's uid is the natural idempotency key.
import type { Client } from './client.js';
import { isConflict, isInvalid, isNotFound } from './errors.js';
import type { Kind, KubeObject } from './object.js';
import type { Result } from './reconcile.js';

export function hasFinalizer(obj: KubeObject, name: string): boolean {
  return obj.metadata.finalizers?.includes(name) ?? false;
}

export function isBeingDeleted(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}

const ATTEMPTS = 5;

async function refetch<T extends KubeObject>(client: Client, kind: Kind<T>, obj: T): Promise<T | undefined> {
  try {
    const fresh = await client.get(kind, { namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' });
    return fresh.metadata.uid === obj.metadata.uid ? fresh : undefined;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Adds `name` to obj's finalizers unless present; returns the updated object. Appends with a
 * JSON patch so concurrent writers of other finalizers are not overwritten.
 */
export async function addFinalizer<T extends KubeObject>(client: Client, kind: Kind<T>, obj: T, name: string): Promise<T> {
  let current: T | undefined = obj;
  for (let i = 0; i < ATTEMPTS && current; i++) {
    if (hasFinalizer(current, name)) return current;
    const key = { namespace: current.metadata.namespace, name: current.metadata.name ?? '' };
    const patch = current.metadata.finalizers
      ? [
          { op: 'test', path: '/metadata/uid', value: current.metadata.uid },
          { op: 'add', path: '/metadata/finalizers/-', value: name },
        ]
      : [
          // Creating the list: guard with resourceVersion so a list someone else just created
          // is not replaced by ours.
          { op: 'test', path: '/metadata/resourceVersion', value: current.metadata.resourceVersion },
          { op: 'add', path: '/metadata/finalizers', value: [name] },
        ];
    try {
      return await client.patch(kind, key, patch, 'json');
    } catch (e) {
      if (!isInvalid(e) && !isConflict(e)) throw e;
      current = await refetch(client, kind, current);
    }
  }
  if (!current) throw new Error(`${kind.kind} ${obj.metadata.name}: gone while adding finalizer ${name}`);
  throw new Error(`${kind.kind} ${obj.metadata.name}: could not add finalizer ${name} after ${ATTEMPTS} attempts`);
}

/** Removes `name` from obj's finalizers if present. A missing object counts as done. */
export async function removeFinalizer<T extends KubeObject>(client: Client, kind: Kind<T>, obj: T, name: string): Promise<T | undefined> {
  let current: T | undefined = obj;
  for (let i = 0; i < ATTEMPTS && current; i++) {
    const idx = current.metadata.finalizers?.indexOf(name) ?? -1;
    if (idx < 0) return current;
    const patch = [
      { op: 'test', path: '/metadata/uid', value: current.metadata.uid },
      { op: 'test', path: `/metadata/finalizers/${idx}`, value: name },
      { op: 'remove', path: `/metadata/finalizers/${idx}` },
    ];
    try {
      return await client.patch(kind, { namespace: current.metadata.namespace, name: current.metadata.name ?? '' }, patch, 'json');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (!isInvalid(e) && !isConflict(e)) throw e;
      current = await refetch(client, kind, current);
    }
  }
  if (!current) return undefined;
  throw new Error(`${kind.kind} ${obj.metadata.name}: could not remove finalizer ${name} after ${ATTEMPTS} attempts`);
}

export interface FinalizerHandlers<T extends KubeObject> {
  /** The normal reconcile, run while the object is not being deleted (after the finalizer is in place). */
  apply?: (obj: T) => Promise<Result> | Result;
  /** Runs once the object is being deleted; the finalizer is removed when it resolves. Keep it idempotent (see above). */
  cleanup: (obj: T) => Promise<void>;
}

export interface FinalizerRunner {
  finalize<T extends KubeObject>(kind: Kind<T>, obj: T, name: string, handlers: FinalizerHandlers<T>): Promise<Result>;
  /** Whether cleanup already ran in this process for this object incarnation. */
  cleanedUp(obj: KubeObject, name: string): boolean;
}

export function createFinalizerRunner(client: Client, opts: { memoTtlMs?: number; now?: () => number } = {}): FinalizerRunner {
  const ttl = opts.memoTtlMs ?? 60 * 60_000;
  const now = opts.now ?? (() => Date.now());
  const done = new Map<string, number>();
  const memoKey = (obj: KubeObject, name: string) => `${obj.metadata.uid ?? ''}\u0000${name}`;
  const expire = () => {
    const t = now();
    for (const [k, at] of done) if (t - at > ttl) done.delete(k);
  };
  const cleanedUp = (obj: KubeObject, name: string) => done.has(memoKey(obj, name));

  return {
    cleanedUp,
    async finalize(kind, obj, name, handlers) {
      if (!isBeingDeleted(obj)) {
        const current = hasFinalizer(obj, name) ? obj : await addFinalizer(client, kind, obj, name);
        return handlers.apply ? await handlers.apply(current) : undefined;
      }
      if (!hasFinalizer(obj, name)) return undefined;
      expire();
      if (!cleanedUp(obj, name)) {
        await handlers.cleanup(obj);
        done.set(memoKey(obj, name), now());
      }
      await removeFinalizer(client, kind, obj, name);
      return undefined;
    },
  };
}
