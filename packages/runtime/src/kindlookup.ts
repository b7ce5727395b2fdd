// Plain objects carry apiVersion and kind, but the REST path needs the plural and the scope.
// A KindLookup answers "which Kind is this object?" from the kinds a program declared (the
// controller's For/Owns/Watches kinds, the manager's extras) and the built-in ones, without
// a discovery round trip per object.
import * as builtins from './kinds.js';
import { apiVersionOf, type Kind, type KubeObject } from './object.js';

export interface KindLookup {
  /** The Kind for apiVersion+kind; throws with a hint when it is unknown. */
  forObject(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): Kind;
  find(apiVersion: string, kind: string): Kind | undefined;
}

function isKind(v: unknown): v is Kind {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Kind).plural === 'string' &&
    typeof (v as Kind).kind === 'string' &&
    typeof (v as Kind).version === 'string' &&
    typeof (v as Kind).group === 'string'
  );
}

const builtinKinds: Kind[] = Object.values(builtins).filter(isKind);

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function createKindLookup(kinds: readonly Kind[]): KindLookup {
  const exact = new Map<string, Kind>();
  const byGroupKind = new Map<string, Kind>();
  // Declared kinds first: they win over built-ins with the same group and kind.
  for (const k of [...kinds, ...builtinKinds]) {
    const e = `${apiVersionOf(k)}\u0000${k.kind}`;
    if (!exact.has(e)) exact.set(e, k);
    const gk = `${k.group}\u0000${k.kind}`;
    if (!byGroupKind.has(gk)) byGroupKind.set(gk, k);
  }
  const find = (apiVersion: string, kind: string) => exact.get(`${apiVersion}\u0000${kind}`) ?? byGroupKind.get(`${groupOf(apiVersion)}\u0000${kind}`);
  return {
    find,
    forObject(obj) {
      const k = find(obj.apiVersion, obj.kind);
      if (!k) throw new TypeError(`unknown kind ${obj.apiVersion} ${obj.kind}: declare it with .owns(${obj.kind}) or Manager.create({ kinds: [${obj.kind}] })`);
      if (apiVersionOf(k) !== obj.apiVersion) return { ...k, version: obj.apiVersion.slice(obj.apiVersion.indexOf('/') + 1) };
      return k;
    },
  };
}
