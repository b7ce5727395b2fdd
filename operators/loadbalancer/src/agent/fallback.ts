// Which configuration to follow when the agent has both the API and the mounted ConfigMap, and
// which mounted versions are safe to apply. Pure (time comes in as an argument), so every rule
// is a unit test; fallback-source.ts feeds it the two sources and a timer.
//
// The API is followed while it lists and watches. When it has failed for `graceMs` (a list or
// watch error, a stalled watch, or no answer since the start), or at once when it refuses the
// agent (401, 403), the mounted files are followed until a list succeeds again; that list's
// version is applied at once, since it is the ConfigMap as it is now.
//
// A mounted version must never roll back what the API delivered. The kubelet lags the API by up
// to 60-90 s, so when the API fails the mount usually holds an older version. Mounted files
// carry no resourceVersion, and a content hash carries no order (a member that flaps brings
// back a hash the API delivered an hour ago), so the rule rests on three facts instead:
//   - one watch delivers every version, and each (re)list reads the ConfigMap as it is now;
//   - the kubelet only moves a volume forward;
//   - the kubelet writes what its own watch holds within one sync period (`kubeletLagMs`).
// Every hash the API delivered is `known`, and so is the mounted hash at each list and any
// mounted hash first seen within kubeletLagMs after a list (the kubelet may have learned it
// before the list, which may have skipped it). A known version may be older than the API's
// newest and is held back. Any other mounted version the kubelet learned after a list, which
// the watch did not deliver because it had failed by then: it is newer, and applied. The price
// of never rolling back is that a mounted version which returns to an earlier content, or
// appears in the first kubeletLagMs of an outage, waits for the API or a newer version.
import { configHash } from '../render/hash.js';
import type { ApiCondition, ConfigSnapshot, SourceState } from './source.js';

export interface FallbackPolicy {
  /** How long the API may fail, or not answer at all, before the mounted files are followed. */
  graceMs: number;
  /**
   * How long the kubelet may take to write a version it knows into the volume: a mounted
   * version first seen this soon after a list may predate that list. Default 90 s.
   */
  kubeletLagMs?: number;
  /** Hashes remembered; the oldest are forgotten first. Default 10,000. */
  maxKnown?: number;
}

export interface Decision {
  /** A configuration to hand to the agent now. */
  offer?: ConfigSnapshot;
  /** When to call tick() (Unix ms): the moment the grace period would run out. */
  checkAt?: number;
  state: SourceState;
}

export interface Fallback {
  /** A list succeeded; `snapshot` is the ConfigMap now (undefined: there is none). */
  apiListed(snapshot: ConfigSnapshot | undefined, now: number): Decision;
  /** The watch after the last list delivered a new version. */
  apiChanged(snapshot: ConfigSnapshot, now: number): Decision;
  apiFailed(error: string, condition: 'unreachable' | 'denied', now: number): Decision;
  /** The mounted directory holds a new version (a `..data` swap). */
  fileChanged(snapshot: ConfigSnapshot, now: number): Decision;
  tick(now: number): Decision;
}

interface Version {
  snapshot: ConfigSnapshot;
  hash: string;
}

type Verdict = { kind: 'apply' } | { kind: 'none' } | { kind: 'held'; reason: string };

const short = (hash: string) => hash.slice(0, 12);

export function createFallback(policy: FallbackPolicy, now: number): Fallback {
  const kubeletLagMs = policy.kubeletLagMs ?? 90_000;
  const maxKnown = policy.maxKnown ?? 10_000;
  let active: 'api' | 'file' = 'api';
  let activeSince = now;
  let api: ApiCondition = 'connecting';
  let apiError: string | undefined;
  // Not yet connected counts as failing, so an API that never answers also ends in the files.
  let failingSince: number | undefined = now;
  let apiLatest: Version | undefined;
  let file: Version | undefined;
  let listedAt: number | undefined;
  let offered: string | undefined;
  // Insertion order is age: re-adding a hash makes it young again.
  const known = new Set<string>();
  const remember = (hash: string) => {
    known.delete(hash);
    known.add(hash);
    if (known.size > maxKnown) known.delete(known.values().next().value as string);
  };
  const version = (snapshot: ConfigSnapshot): Version => ({ snapshot, hash: configHash(snapshot.files) });

  const verdict = (): Verdict => {
    if (file === undefined || file.hash === offered) return { kind: 'none' };
    if (apiLatest === undefined) return { kind: 'apply' };
    if (known.has(file.hash)) {
      return {
        kind: 'held',
        reason: `the API delivered this configuration earlier, so the mounted copy may be older than what runs (the newest from the API is ${short(apiLatest.hash)}); waiting for the API or a newer mounted version`,
      };
    }
    return { kind: 'apply' };
  };

  const state = (): SourceState => {
    const v = active === 'file' ? verdict() : undefined;
    return {
      active,
      api,
      ...(apiError !== undefined ? { apiError } : {}),
      since: new Date(activeSince).toISOString(),
      ...(v?.kind === 'held' && file !== undefined ? { heldBack: { hash: file.hash, reason: v.reason } } : {}),
    };
  };

  const offerFile = (): ConfigSnapshot | undefined => {
    if (active !== 'file' || file === undefined || verdict().kind !== 'apply') return undefined;
    offered = file.hash;
    return file.snapshot;
  };

  const decide = (offer: ConfigSnapshot | undefined): Decision => ({
    ...(offer !== undefined ? { offer } : {}),
    ...(active === 'api' && failingSince !== undefined ? { checkAt: failingSince + policy.graceMs } : {}),
    state: state(),
  });

  const switchTo = (to: 'api' | 'file', at: number) => {
    if (active === to) return;
    active = to;
    activeSince = at;
  };

  // The API's version is the ConfigMap as it is: handed over whatever the files did before.
  const fromApi = (snapshot: ConfigSnapshot): ConfigSnapshot | undefined => {
    apiLatest = version(snapshot);
    remember(apiLatest.hash);
    if (apiLatest.hash === offered) return undefined;
    offered = apiLatest.hash;
    return snapshot;
  };

  const tick = (at: number): Decision => {
    if (active === 'api' && failingSince !== undefined && at - failingSince >= policy.graceMs) switchTo('file', at);
    return decide(offerFile());
  };

  return {
    apiListed(snapshot, at) {
      api = 'connected';
      apiError = undefined;
      failingSince = undefined;
      listedAt = at;
      if (file !== undefined) remember(file.hash);
      switchTo('api', at);
      if (snapshot === undefined) return decide(undefined);
      return decide(fromApi(snapshot));
    },
    apiChanged(snapshot, at) {
      // Only a list switches back to the API, and a watch event always follows one.
      switchTo('api', at);
      return decide(fromApi(snapshot));
    },
    apiFailed(error, condition, at) {
      api = condition;
      apiError = error;
      failingSince ??= at;
      if (condition === 'denied') switchTo('file', at);
      return tick(at);
    },
    fileChanged(snapshot, at) {
      file = version(snapshot);
      if (listedAt !== undefined && at - listedAt < kubeletLagMs) remember(file.hash);
      return decide(offerFile());
    },
    tick,
  };
}
