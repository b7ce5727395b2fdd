// Kubernetes objects stay plain JSON end to end: no classes, no Date conversion. What the
// apiserver sent is what a reconciler reads, and what a reconciler builds is what is applied.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** Any Kubernetes object. Kinds narrow `spec`/`status`/`data` through their own interfaces. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectList<T extends KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/**
 * What the runtime needs to address a kind over HTTP: its group/version/kind and the
 * plural resource name. `T` carries the object's TypeScript type so `client.get(ConfigMap, …)`
 * returns a ConfigMap.
 */
export interface Kind<T extends KubeObject = KubeObject> {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Phantom field: never set, only carries the object type. */
  readonly __type?: T;
}

/** The object type a Kind describes. */
export type ObjectOf<K> = K extends Kind<infer T> ? T : never;

/** A namespaced name, as reconcile requests and object keys use it. */
export interface ObjectKey {
  namespace?: string;
  name: string;
}

export function apiVersionOf(kind: Kind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

export function defineKind<T extends KubeObject>(k: Omit<Kind<T>, '__type'>): Kind<T> {
  return Object.freeze({ ...k });
}

/** `namespace/name` (or `name` when cluster-scoped): the key stores and work queues use. */
export function keyOf(obj: { metadata: ObjectMeta } | ObjectKey): string {
  const ns = 'metadata' in obj ? obj.metadata.namespace : obj.namespace;
  const name = 'metadata' in obj ? obj.metadata.name : obj.name;
  return ns ? `${ns}/${name ?? ''}` : (name ?? '');
}

export function parseKey(key: string): ObjectKey {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
