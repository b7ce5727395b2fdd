// Predicates filter watch events before they become work-queue items. Filtering is only an
// optimisation: reconcile is level-based, so a dropped event never makes the result wrong,
// it only saves a reconcile that would have found nothing to do. The usual one is
// generationChanged(): status writes (including our own) bump resourceVersion but not
// generation, so without it every status update would trigger another reconcile.
import type { KubeObject } from './object.js';
import { matchesLabels, parseLabelSelector } from './selector.js';

export interface Predicate<T extends KubeObject = KubeObject> {
  create?(obj: T): boolean;
  update?(oldObj: T, newObj: T): boolean;
  delete?(obj: T): boolean;
}

/** Runs the predicate for one event; a missing method lets the event through. */
export function admits<T extends KubeObject>(p: Predicate<T>, event: { type: 'create'; obj: T } | { type: 'update'; old: T; obj: T } | { type: 'delete'; obj: T }): boolean {
  switch (event.type) {
    case 'create':
      return p.create ? p.create(event.obj) : true;
    case 'update':
      return p.update ? p.update(event.old, event.obj) : true;
    case 'delete':
      return p.delete ? p.delete(event.obj) : true;
  }
}

/** Lets updates through only when metadata.generation changed (spec edits, not status). */
export function generationChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (o, n) => o.metadata.generation !== n.metadata.generation };
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a?.[k] === b?.[k]);
}

export function labelsChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (o, n) => !sameRecord(o.metadata.labels, n.metadata.labels) };
}

export function annotationsChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (o, n) => !sameRecord(o.metadata.annotations, n.metadata.annotations) };
}

/** Drops resyncs (updates with an unchanged resourceVersion). */
export function resourceVersionChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return { update: (o, n) => o.metadata.resourceVersion !== n.metadata.resourceVersion };
}

/** Lets through updates that change deletionTimestamp or finalizers (what finalizer logic waits for). */
export function deletionChanged<T extends KubeObject = KubeObject>(): Predicate<T> {
  return {
    update: (o, n) =>
      o.metadata.deletionTimestamp !== n.metadata.deletionTimestamp || (o.metadata.finalizers ?? []).join('\u0000') !== (n.metadata.finalizers ?? []).join('\u0000'),
  };
}

/** Events for objects whose labels match a selector (e.g. `app.kubernetes.io/managed-by=tugboat`). */
export function labelSelectorPredicate<T extends KubeObject = KubeObject>(selector: string): Predicate<T> {
  const sel = parseLabelSelector(selector);
  const m = (obj: T) => matchesLabels(sel, obj.metadata.labels);
  return { create: m, update: (_o, n) => m(n), delete: m };
}

/** The same test for every event type, on the newest object. */
export function predicate<T extends KubeObject = KubeObject>(fn: (obj: T) => boolean): Predicate<T> {
  return { create: fn, update: (_o, n) => fn(n), delete: fn };
}

export function and<T extends KubeObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (obj) => ps.every((p) => admits(p, { type: 'create', obj })),
    update: (old, obj) => ps.every((p) => admits(p, { type: 'update', old, obj })),
    delete: (obj) => ps.every((p) => admits(p, { type: 'delete', obj })),
  };
}

export function or<T extends KubeObject>(...ps: Predicate<T>[]): Predicate<T> {
  return {
    create: (obj) => ps.some((p) => admits(p, { type: 'create', obj })),
    update: (old, obj) => ps.some((p) => admits(p, { type: 'update', old, obj })),
    delete: (obj) => ps.some((p) => admits(p, { type: 'delete', obj })),
  };
}

export function not<T extends KubeObject>(p: Predicate<T>): Predicate<T> {
  return {
    create: (obj) => !admits(p, { type: 'create', obj }),
    update: (old, obj) => !admits(p, { type: 'update', old, obj }),
    delete: (obj) => !admits(p, { type: 'delete', obj }),
  };
}
