// Admission handlers for the three kinds: adapt the pure checks of api/validate.ts to
// AdmissionRequests. Denials carry one cause per field, so kubectl prints
// `spec.version: Harbor 2.9.0 is not supported …` and clients get the field in ApiError.causes.
import { allowed, denied, type AdmissionRequest, type Verdict } from '@tugboat/runtime/admission';
import type { KubeObject } from '@tugboat/runtime';
import { formatErrors, validateObjectStore, validatePostgresServer, validateRegistry, type Validation } from '../api/validate.js';
import { stableStringify } from '../render/checksum.js';

type WithSpec = KubeObject & { spec?: unknown };

function verdict(kind: string, v: Validation): Verdict {
  if (v.allowed) return allowed(v.warnings);
  const d = denied(
    `${kind} rejected: ${formatErrors(v.errors)}`,
    v.errors.map((e) => ({ field: e.path, message: e.message, reason: 'FieldValueInvalid' })),
  );
  return v.warnings.length > 0 ? { ...d, warnings: v.warnings } : d;
}

/**
 * Updates that leave the spec alone (finalizers, labels, a deletion in progress) are always
 * admitted: a Registry whose release an upgraded operator no longer supports must still be
 * deletable, and its finalizer removable.
 */
function specUnchanged(req: AdmissionRequest<WithSpec>): boolean {
  if (req.operation !== 'UPDATE' || !req.object || !req.oldObject) return false;
  if (req.object.metadata.deletionTimestamp) return true;
  return stableStringify(req.object.spec) === stableStringify(req.oldObject.spec);
}

function statusVersion(o: unknown): string | undefined {
  const status = (o as { status?: { version?: unknown } } | undefined)?.status;
  return typeof status?.version === 'string' ? status.version : undefined;
}

export function validateRegistryAdmission(req: AdmissionRequest<WithSpec>): Verdict {
  if (req.operation === 'DELETE' || req.operation === 'CONNECT' || !req.object) return allowed();
  if (specUnchanged(req)) return allowed();
  const old = req.operation === 'UPDATE' ? req.oldObject?.spec : undefined;
  const running = req.operation === 'UPDATE' ? statusVersion(req.oldObject) : undefined;
  return verdict('Registry', validateRegistry(req.object.spec, old, running));
}

export function validatePostgresServerAdmission(req: AdmissionRequest<WithSpec>): Verdict {
  if (req.operation === 'DELETE' || req.operation === 'CONNECT' || !req.object) return allowed();
  if (specUnchanged(req)) return allowed();
  return verdict('PostgresServer', validatePostgresServer(req.object.spec));
}

export function validateObjectStoreAdmission(req: AdmissionRequest<WithSpec>): Verdict {
  if (req.operation === 'DELETE' || req.operation === 'CONNECT' || !req.object) return allowed();
  if (specUnchanged(req)) return allowed();
  return verdict('ObjectStore', validateObjectStore(req.object.spec));
}
