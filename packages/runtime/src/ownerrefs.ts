// Owner references: the link garbage collection follows (deleting an owner deletes what it
// owns) and the one Owns() follows the other way (an event on a child wakes its owner). At most
// one owner is the *controller*; the helpers refuse to steal an object another controller owns,
// because two controllers fighting over one object would rewrite it forever.
import type { KubeObject, OwnerReference } from './object.js';

export class AlreadyOwnedError extends Error {
  constructor(
    readonly object: string,
    readonly owner: OwnerReference,
  ) {
    super(`${object} is already controlled by ${owner.kind} ${owner.name} (uid ${owner.uid})`);
    this.name = 'AlreadyOwnedError';
  }
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Same object identity for owner-reference purposes: group (not version), kind and name. */
function sameOwner(a: Pick<OwnerReference, 'apiVersion' | 'kind' | 'name'>, b: Pick<OwnerReference, 'apiVersion' | 'kind' | 'name'>): boolean {
  return groupOf(a.apiVersion) === groupOf(b.apiVersion) && a.kind === b.kind && a.name === b.name;
}

function describe(obj: KubeObject): string {
  const m = obj.metadata;
  return `${obj.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name ?? m.generateName ?? ''}`;
}

function checkOwner(owner: KubeObject, obj: KubeObject): void {
  if (!owner.metadata.uid || !owner.metadata.name) {
    throw new TypeError(`owner ${describe(owner)} has no uid or name yet: read it from the apiserver before owning objects with it`);
  }
  const ownerNs = owner.metadata.namespace;
  // The garbage collector ignores (and then deletes) children whose namespaced owner is in
  // another namespace, so refuse to build such a reference at all.
  if (ownerNs && obj.metadata.namespace !== ownerNs) {
    throw new TypeError(`${describe(obj)} cannot be owned by ${describe(owner)}: a namespaced owner must be in the same namespace`);
  }
}

export function ownerReferenceFor(owner: KubeObject, opts: { controller?: boolean; blockOwnerDeletion?: boolean } = {}): OwnerReference {
  const ref: OwnerReference = { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '' };
  if (opts.controller !== undefined) ref.controller = opts.controller;
  if (opts.blockOwnerDeletion !== undefined) ref.blockOwnerDeletion = opts.blockOwnerDeletion;
  return ref;
}

/** The owner reference marked controller: true, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** True when `owner` (by uid) is among obj's owners. */
export function isOwnedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
}

/**
 * `obj` with `owner` as its controller (a copy; `obj` is not changed). blockOwnerDeletion is
 * set, as controller-runtime does, so foreground deletion of the owner waits for the child.
 * Throws AlreadyOwnedError if another object is the controller already.
 */
export function setControllerReference<T extends KubeObject>(owner: KubeObject, obj: T): T {
  checkOwner(owner, obj);
  const ref = ownerReferenceFor(owner, { controller: true, blockOwnerDeletion: true });
  const current = controllerOf(obj);
  if (current && !sameOwner(current, ref)) throw new AlreadyOwnedError(describe(obj), current);
  return withReference(obj, ref);
}

/** `obj` with `owner` among its (non-controller) owners. */
export function setOwnerReference<T extends KubeObject>(owner: KubeObject, obj: T): T {
  checkOwner(owner, obj);
  const existing = obj.metadata.ownerReferences?.find((r) => sameOwner(r, ownerReferenceFor(owner)));
  const ref = ownerReferenceFor(owner);
  if (existing?.controller !== undefined) ref.controller = existing.controller;
  if (existing?.blockOwnerDeletion !== undefined) ref.blockOwnerDeletion = existing.blockOwnerDeletion;
  return withReference(obj, ref);
}

/** `obj` without any reference to `owner`. */
export function removeOwnerReference<T extends KubeObject>(owner: KubeObject, obj: T): T {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => !sameOwner(r, ownerReferenceFor(owner)));
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: refs } };
}

function withReference<T extends KubeObject>(obj: T, ref: OwnerReference): T {
  const refs = [...(obj.metadata.ownerReferences ?? [])];
  const i = refs.findIndex((r) => sameOwner(r, ref));
  if (i >= 0) refs[i] = ref;
  else refs.push(ref);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: refs } };
}
