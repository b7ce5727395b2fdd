// Putting the shard label on objects, for label-mode sharding (see sharding.ts): a mutating
// webhook stamps new objects at admission, and relabelShards() stamps the ones that existed
// before. Both write the hash shard, `fnv1a(namespace/name) mod shards` — the shard hash mode
// already gives the object — so labelling moves nothing: it only lets the apiserver do the
// filtering. An existing valid label is a pin and is never overwritten; a malformed or
// out-of-range one is replaced, since no label-mode shard would ever see that object.
import type { AdmissionWebhookOptions, WebhookServer } from './webhook.js';
import type { MutatingHandler } from './admission.js';
import type { Client } from './client.js';
import { isConflict, isNotFound } from './errors.js';
import { keyOf, type Kind, type KubeObject } from './object.js';
import { SHARD_LABEL, shardOf, unlabeledSelector, validShardLabel } from './sharding.js';

export interface ShardLabelerOptions extends Pick<AdmissionWebhookOptions, 'failurePolicy' | 'timeoutSeconds' | 'namespaceSelector' | 'objectSelector' | 'path' | 'name'> {
  /** Default `tugboat.dev/shard`. */
  label?: string;
}

export interface ShardLabeler<T extends KubeObject> {
  readonly kind: Kind<T>;
  readonly handler: MutatingHandler<T>;
  /** Path `/shard-<group>-<version>-<plural>`, name `shard.<plural>.<group>`, CREATE and UPDATE. */
  readonly options: AdmissionWebhookOptions;
  /** `server.mutate(kind, handler, options)`. */
  register(server: Pick<WebhookServer, 'mutate'>): void;
}

/**
 * A mutating webhook that labels every `kind` object with its shard among `shards`. On CREATE
 * and on any UPDATE of an object still unlabelled (so existing objects pick the label up the
 * next time anyone writes them). An object created with `generateName` has no name yet at
 * admission; it gets the shard of the request's uid, which spreads such objects evenly, and the
 * label pins it from then on.
 */
export function shardLabeler<T extends KubeObject>(kind: Kind<T>, shards: number, opts: ShardLabelerOptions = {}): ShardLabeler<T> {
  shardOf('', shards); // validates the count now rather than at the first admission
  const label = opts.label ?? SHARD_LABEL;
  const { label: _label, ...hookOpts } = opts;
  const handler: MutatingHandler<T> = (obj, req) => {
    if (validShardLabel(obj.metadata.labels?.[label], shards) !== undefined) return;
    const name = obj.metadata.name ?? req.name;
    const namespace = kind.namespaced ? (obj.metadata.namespace ?? req.namespace) : undefined;
    const shard = name ? shardOf({ namespace, name }, shards) : shardOf(req.uid, shards);
    obj.metadata.labels = { ...obj.metadata.labels, [label]: String(shard) };
  };
  const options: AdmissionWebhookOptions = {
    path: `/shard-${kind.group.replace(/\./g, '-') || 'core'}-${kind.version}-${kind.plural}`,
    name: `shard.${kind.plural}.${kind.group || 'core'}`,
    operations: ['CREATE', 'UPDATE'],
    ...hookOpts,
  };
  return { kind, handler, options, register: (server) => server.mutate(kind, handler, options) };
}

export interface RelabelOptions {
  /** Only this namespace. Default: all. */
  namespace?: string;
  /** Default `tugboat.dev/shard`. */
  label?: string;
  /** Field manager of the patches. Default `tugboat-shard-relabel`. */
  fieldManager?: string;
  signal?: AbortSignal;
}

export interface RelabelResult {
  /** Objects that got a label. */
  labelled: number;
  /** Objects that were deleted, or labelled by someone else, before we got to them. */
  skipped: number;
}

/**
 * Labels every existing `kind` object that has no valid shard label (the `tugboat shard
 * relabel` step when turning label mode on). Idempotent: a second run finds nothing to do.
 * Each patch carries the resourceVersion it read, so a pin set meanwhile is never overwritten.
 */
export async function relabelShards(client: Client, kind: Kind, shards: number, opts: RelabelOptions = {}): Promise<RelabelResult> {
  const label = opts.label ?? SHARD_LABEL;
  const result: RelabelResult = { labelled: 0, skipped: 0 };
  const list = await client.listAll(kind, {
    labelSelector: unlabeledSelector(shards, label),
    metadataOnly: true,
    ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  for (let item of list.items as KubeObject[]) {
    for (let attempt = 0; ; attempt++) {
      opts.signal?.throwIfAborted();
      if (validShardLabel(item.metadata.labels?.[label], shards) !== undefined) {
        result.skipped++;
        break;
      }
      const key = { namespace: item.metadata.namespace, name: item.metadata.name ?? '' };
      const patch = { metadata: { resourceVersion: item.metadata.resourceVersion, labels: { [label]: String(shardOf(keyOf(item), shards)) } } };
      try {
        await client.patch(kind, key, patch, 'merge', { fieldManager: opts.fieldManager ?? 'tugboat-shard-relabel' });
        result.labelled++;
        break;
      } catch (e) {
        if (isNotFound(e)) {
          result.skipped++;
          break;
        }
        // Changed since the list: look again (it may have been labelled or pinned meanwhile).
        if (!isConflict(e) || attempt >= 3) throw e;
        try {
          item = await client.get(kind, key);
        } catch (e2) {
          if (!isNotFound(e2)) throw e2;
          result.skipped++;
          break;
        }
      }
    }
  }
  return result;
}
