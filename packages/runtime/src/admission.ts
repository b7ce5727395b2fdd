// Admission (admission.k8s.io/v1): the apiserver sends an AdmissionReview, a handler decides.
// Validating handlers are `(request) => allowed() | denied(message, causes)`. Mutating handlers
// get a copy of the object, change it in place or return a new one, and the JSON patch the
// apiserver needs is computed from the difference. Pure: no HTTP here (see webhook.ts).
import type { StatusCause, Status } from './errors.js';
import { diffJsonPatch, type JsonPatchOperation } from './jsonpatch.js';
import type { KubeObject } from './object.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest<T extends KubeObject = KubeObject> {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind?: { group: string; version: string; kind: string };
  requestResource?: { group: string; version: string; resource: string };
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  /** The object being admitted; absent on DELETE. */
  object?: T;
  /** The object before an UPDATE, or the object being deleted. */
  oldObject?: T;
  dryRun?: boolean;
  options?: unknown;
}

export interface AdmissionReview<T extends KubeObject = KubeObject> {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest<T>;
  response?: AdmissionResponse;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  patchType?: 'JSONPatch';
  /** base64 of the JSON patch. */
  patch?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export type Allowed = { allowed: true; warnings?: string[] };
export type Denied = { allowed: false; message: string; causes?: StatusCause[]; code?: number; warnings?: string[] };
export type Verdict = Allowed | Denied;

/** Admit the request; warnings are shown by kubectl as `Warning: …`. */
export function allowed(warnings?: string[]): Allowed {
  return warnings && warnings.length > 0 ? { allowed: true, warnings } : { allowed: true };
}

/**
 * Reject the request. Without causes the user sees `admission webhook "…" denied the request:
 * <message>` (403 Forbidden). With causes it is a 422 Invalid whose causes name the fields, as a
 * schema error would: kubectl prints each `field: message`, and clients get them as ApiError.causes.
 */
export function denied(message: string, causes?: StatusCause[]): Denied {
  return causes && causes.length > 0 ? { allowed: false, message, causes } : { allowed: false, message };
}

export function isDenied(v: unknown): v is Denied {
  return typeof v === 'object' && v !== null && (v as { allowed?: unknown }).allowed === false && typeof (v as { message?: unknown }).message === 'string';
}

export type ValidatingHandler<T extends KubeObject> = (request: AdmissionRequest<T>) => Verdict | Promise<Verdict>;

/**
 * Edits `object` (a copy; the request keeps the original) and returns nothing, or returns the
 * object to admit instead, or `denied(…)`. A mutating webhook must be idempotent: the apiserver
 * may call it again after other webhooks changed the object (reinvocationPolicy IfNeeded).
 */
export type MutatingHandler<T extends KubeObject> = (
  object: T,
  request: AdmissionRequest<T>,
) => T | void | Denied | Promise<T | void | Denied>;

function deniedResponse(uid: string, d: Denied, kind?: string, name?: string): AdmissionResponse {
  const invalid = d.causes !== undefined && d.causes.length > 0;
  const code = d.code ?? (invalid ? 422 : 403);
  const message = invalid ? `${d.message}: ${d.causes?.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}` : d.message;
  const status: Status = { status: 'Failure', code, reason: invalid ? 'Invalid' : 'Forbidden', message };
  if (invalid) {
    status.details = {
      ...(kind ? { kind } : {}),
      ...(name ? { name } : {}),
      causes: d.causes?.map((c) => ({ field: c.field, message: c.message, reason: c.reason ?? 'FieldValueInvalid' })),
    };
  }
  const r: AdmissionResponse = { uid, allowed: false, status };
  if (d.warnings && d.warnings.length > 0) r.warnings = d.warnings;
  return r;
}

/** A handler that threw: deny with 500 so a bug never admits what it was meant to check. */
function erroredResponse(uid: string, err: unknown): AdmissionResponse {
  const message = err instanceof Error ? err.message : String(err);
  return { uid, allowed: false, status: { status: 'Failure', code: 500, reason: 'InternalError', message: `webhook handler failed: ${message}` } };
}

function requestOf(review: unknown): AdmissionRequest | undefined {
  const r = review as AdmissionReview | undefined;
  if (!r || r.apiVersion !== 'admission.k8s.io/v1' || r.kind !== 'AdmissionReview' || !r.request || typeof r.request.uid !== 'string') return undefined;
  return r.request;
}

function reviewOf(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** Runs a validating handler on an AdmissionReview and returns the review to send back. */
export async function reviewValidating<T extends KubeObject>(review: unknown, handler: ValidatingHandler<T>): Promise<AdmissionReview> {
  const req = requestOf(review);
  if (!req) throw new TypeError('expected an admission.k8s.io/v1 AdmissionReview with a request');
  try {
    const verdict = await handler(req as AdmissionRequest<T>);
    if (verdict.allowed) return reviewOf({ uid: req.uid, allowed: true, ...(verdict.warnings ? { warnings: verdict.warnings } : {}) });
    return reviewOf(deniedResponse(req.uid, verdict, req.kind.kind, req.name ?? req.object?.metadata.name));
  } catch (err) {
    return reviewOf(erroredResponse(req.uid, err));
  }
}

/** Runs a mutating handler on an AdmissionReview; the response carries the patch, if any. */
export async function reviewMutating<T extends KubeObject>(review: unknown, handler: MutatingHandler<T>): Promise<AdmissionReview> {
  const req = requestOf(review);
  if (!req) throw new TypeError('expected an admission.k8s.io/v1 AdmissionReview with a request');
  if (req.object === undefined) return reviewOf({ uid: req.uid, allowed: true });
  try {
    const original = req.object as T;
    const copy = structuredClone(original);
    const result = await handler(copy, req as AdmissionRequest<T>);
    if (isDenied(result)) return reviewOf(deniedResponse(req.uid, result, req.kind.kind, req.name ?? original.metadata.name));
    const mutated = result ?? copy;
    const ops: JsonPatchOperation[] = diffJsonPatch(original, mutated);
    if (ops.length === 0) return reviewOf({ uid: req.uid, allowed: true });
    return reviewOf({ uid: req.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
  } catch (err) {
    return reviewOf(erroredResponse(req.uid, err));
  }
}
