// Conversion between the versions of a custom kind (apiextensions.k8s.io/v1 ConversionReview).
// Hub and spoke, as in controller-runtime: one version is the hub, every other version says how
// to go to the hub and back, so N versions need 2(N−1) functions instead of N(N−1). The
// apiserver only lets a conversion change labels and annotations in metadata, so metadata is
// taken from the input whatever the functions return, except those two maps (where lossy
// conversions usually stash the fields the other version cannot hold).
import type { AnyVersion, CustomKindWithVersions, ObjectAtVersion } from './crd.js';
import type { Status } from './errors.js';
import type { KubeObject } from './object.js';

type Converted<T> = Omit<T, 'apiVersion' | 'kind'> & { apiVersion?: string; kind?: string };

export type Spokes<Vs extends readonly AnyVersion[], H extends string> = {
  [N in Exclude<Vs[number]['name'], H>]: {
    toHub(obj: ObjectAtVersion<Vs, N>): Converted<ObjectAtVersion<Vs, H>>;
    fromHub(obj: ObjectAtVersion<Vs, H>): Converted<ObjectAtVersion<Vs, N>>;
  };
};

export interface Converter {
  /** The CRD this converter serves (`<plural>.<group>`). */
  readonly crdName: string;
  readonly group: string;
  readonly kind: string;
  /** Converts one object to `desiredAPIVersion` (`group/version`). Throws on an unknown version. */
  convert(obj: KubeObject, desiredAPIVersion: string): KubeObject;
}

/** Declares how the versions of `kind` convert, through `hub`. */
export function defineConversion<const Vs extends readonly AnyVersion[], H extends Vs[number]['name']>(
  kind: CustomKindWithVersions<Vs>,
  spec: { hub: H; spokes: Spokes<Vs, H> },
): Converter {
  const group = kind.group;
  const versions = new Set<string>(kind.versionNames);
  if (!versions.has(spec.hub)) throw new TypeError(`conversion for ${kind.kind}: hub ${spec.hub} is not a version`);
  const spokes = spec.spokes as unknown as Record<string, { toHub(o: KubeObject): KubeObject; fromHub(o: KubeObject): KubeObject }>;
  for (const v of versions) {
    if (v !== spec.hub && !spokes[v]) throw new TypeError(`conversion for ${kind.kind}: no conversion for version ${v}`);
  }

  function versionOf(apiVersion: string): string {
    const [g, v] = apiVersion.split('/');
    if (g !== group || v === undefined || !versions.has(v)) throw new Error(`${kind.kind}: cannot convert ${apiVersion}; known versions are ${[...versions].map((x) => `${group}/${x}`).join(', ')}`);
    return v;
  }

  return {
    crdName: kind.crdName,
    group,
    kind: kind.kind,
    convert(obj, desiredAPIVersion) {
      const from = versionOf(obj.apiVersion);
      const to = versionOf(desiredAPIVersion);
      if (from === to) return obj;
      const input = structuredClone(obj);
      const hub = from === spec.hub ? input : spokes[from]?.toHub(input);
      if (!hub) throw new Error(`${kind.kind}: no conversion from ${from}`);
      const hubObj = { ...hub, apiVersion: `${group}/${spec.hub}`, kind: kind.kind, metadata: keepMetadata(obj, hub) };
      const out = to === spec.hub ? hubObj : spokes[to]?.fromHub(hubObj);
      if (!out) throw new Error(`${kind.kind}: no conversion to ${to}`);
      return { ...out, apiVersion: desiredAPIVersion, kind: kind.kind, metadata: keepMetadata(obj, out) };
    },
  };
}

// Returned metadata decides labels and annotations (absent means none); everything else comes
// from the input. A conversion that returns no metadata at all leaves both as they were.
function keepMetadata(original: KubeObject, converted: Partial<KubeObject>): KubeObject['metadata'] {
  const meta = structuredClone(original.metadata);
  if (converted.metadata) {
    const { labels, annotations } = converted.metadata;
    if (labels && Object.keys(labels).length > 0) meta.labels = { ...labels };
    else delete meta.labels;
    if (annotations && Object.keys(annotations).length > 0) meta.annotations = { ...annotations };
    else delete meta.annotations;
  }
  return meta;
}

export interface ConversionReview {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'ConversionReview';
  request?: { uid: string; desiredAPIVersion: string; objects: KubeObject[] };
  response?: { uid: string; convertedObjects: KubeObject[]; result: Status };
}

/**
 * Answers a ConversionReview. A failure of any object fails the whole review, with a message
 * naming the object, as the apiserver requires (it returns that message to the client).
 */
export function reviewConversion(review: unknown, converter: Converter): ConversionReview {
  const r = review as ConversionReview | undefined;
  if (!r || r.apiVersion !== 'apiextensions.k8s.io/v1' || r.kind !== 'ConversionReview' || !r.request || typeof r.request.uid !== 'string') {
    throw new TypeError('expected an apiextensions.k8s.io/v1 ConversionReview with a request');
  }
  const { uid, desiredAPIVersion, objects } = r.request;
  const out: KubeObject[] = [];
  for (const obj of objects) {
    try {
      out.push(converter.convert(obj, desiredAPIVersion));
    } catch (err) {
      const message = `converting ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name ?? '?'} to ${desiredAPIVersion}: ${err instanceof Error ? err.message : String(err)}`;
      return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid, convertedObjects: [], result: { status: 'Failure', message } } };
    }
  }
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid, convertedObjects: out, result: { status: 'Success' } } };
}
