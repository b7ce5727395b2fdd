// What the admission webhook checks, as pure functions of the submitted (and, on update, the
// stored) spec. The CRD's schema and CEL rules catch most mistakes at the apiserver already; the
// webhook adds what needs code: the supported-version table, version ordering, and messages that
// name the field and say what to do instead. It also repeats the CEL rules' checks (with the same
// messages), so the result does not depend on which of the two saw the object first and the
// functions can be used on their own, e.g. by `tugboat` before anything is sent.
// Every message is written for `kubectl apply` output.
import type { z } from 'zod';
import { hostNameMessage, isHostName, isHttpURL } from './common.js';
import { endpointMessage, ObjectStoreSpec } from './object-store.js';
import { PostgresServerSpec } from './postgres-server.js';
import { externalURLMessage, RegistrySpec } from './registry.js';
import { compareVersions, defaultHarborVersion, isSupported, lineOf, parseHarborVersion, supportedLines } from './versions.js';

export interface FieldError {
  /** Path of the offending field, e.g. `spec.expose.ingress.host`. */
  path: string;
  message: string;
}

export type Validation =
  | { allowed: true; warnings: string[] }
  | { allowed: false; errors: FieldError[]; warnings: string[] };

function formatPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

function schemaErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((i) => ({ path: formatPath('spec', i.path), message: i.message }));
}

function result(errors: FieldError[], warnings: string[]): Validation {
  return errors.length === 0 ? { allowed: true, warnings } : { allowed: false, errors, warnings };
}

/** One line per error, `path: message`, as the webhook's denial reason. */
export function formatErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}

function supportedList(): string {
  return supportedLines.map((l) => `${l}.x`).join(', ');
}

/**
 * Validates a Registry spec on create (`old` absent) or update. Specs are as submitted (defaults
 * not yet applied). `running` is status.version, the release whose migration last succeeded.
 */
export function validateRegistry(spec: unknown, old?: unknown, running?: string): Validation {
  const parsed = RegistrySpec.safeParse(spec);
  if (!parsed.success) return result(schemaErrors(parsed.error.issues), []);
  const next = parsed.data;
  const errors: FieldError[] = [];
  const warnings: string[] = [];

  errors.push(...registryRules(next));

  const v = parseHarborVersion(next.version);
  if (v && !isSupported(v)) {
    errors.push({
      path: 'spec.version',
      message: `Harbor ${next.version} is not supported by this operator; supported release lines are ${supportedList()}. Set spec.version to one of them, e.g. ${defaultHarborVersion}`,
    });
  }

  const tls = next.expose.ingress.tls;
  if (next.externalURL?.startsWith('https://') && !tls) {
    warnings.push('spec.externalURL is https:// but spec.expose.ingress.tls is not set: TLS must then be terminated in front of the Ingress');
  }

  if (old !== undefined) {
    const prevParsed = RegistrySpec.safeParse(old);
    // A stored object that no longer parses (an older schema) cannot be compared field by field;
    // the new one is still valid on its own, which is what matters for admitting it.
    if (prevParsed.success) {
      const prev = prevParsed.data;
      const pv = parseHarborVersion(prev.version);
      if (v && pv) {
        const order = compareVersions(v, pv);
        // Going back to the release that still runs is how a failed upgrade is abandoned: its
        // migration did not complete, so the schema belongs to that release, and core never rolled.
        const rollback = order < 0 && running !== undefined && next.version === running;
        if (rollback) {
          warnings.push(
            `abandoning the upgrade to ${prev.version}: back to ${running}, which still runs. If the failed migration changed the database, restore the backup before retrying the upgrade`,
          );
        } else if (order < 0) {
          errors.push({
            path: 'spec.version',
            message:
              `cannot downgrade Harbor from ${prev.version} to ${next.version}: its database schema was already migrated forward. Keep spec.version at ${prev.version} or choose a later release` +
              (running !== undefined && running !== prev.version ? ` (to abandon a failed upgrade, set it back to ${running}, the release still running)` : ''),
          });
        } else if (order > 0 && v.major === pv.major && v.minor - pv.minor > 1) {
          warnings.push(`upgrading Harbor across several release lines (${lineOf(pv)} to ${lineOf(v)}): the migration runs every step at once; take a database backup first`);
        }
      }
      if (!sameJson(prev.storage, next.storage)) {
        errors.push({
          path: 'spec.storage',
          message: `storage is immutable (was ${JSON.stringify(prev.storage)}): images live in that bucket. Restore the previous value; to move storage, copy the bucket and create a new Registry`,
        });
      }
      if (prev.database.serverRef.name !== next.database.serverRef.name) {
        errors.push({
          path: 'spec.database.serverRef.name',
          message: `the database server is immutable (was ${prev.database.serverRef.name}): Harbor's data lives there. Restore it; to move, migrate the database and create a new Registry`,
        });
      }
      if (!sameJson(prev.encryptionKeySecretRef, next.encryptionKeySecretRef)) {
        errors.push({
          path: 'spec.encryptionKeySecretRef',
          message: `the encryption key reference is immutable (was ${prev.encryptionKeySecretRef ? JSON.stringify(prev.encryptionKeySecretRef) : 'unset, so a generated key'}): Harbor encrypted stored credentials with that key. Restore the previous value`,
        });
      }
    }
  }
  return result(errors, warnings);
}

/** The CEL rules of the Registry schema that do not involve the old object, as code. */
function registryRules(spec: RegistrySpec): FieldError[] {
  const errors: FieldError[] = [];
  const ingress = spec.expose.ingress;
  if (!isHostName(ingress.host)) errors.push({ path: 'spec.expose.ingress.host', message: hostNameMessage });
  if (ingress.tls && (ingress.tls.secretName === undefined) === (ingress.tls.certManager === undefined)) {
    errors.push({ path: 'spec.expose.ingress.tls', message: 'give exactly one of tls.secretName (an existing certificate) or tls.certManager (issue one)' });
  }
  if (spec.externalURL !== undefined && !isBareHttpURL(spec.externalURL)) errors.push({ path: 'spec.externalURL', message: externalURLMessage });
  if (spec.cache.mode === 'External' && !spec.cache.external) {
    errors.push({ path: 'spec.cache', message: 'cache.mode External needs cache.external (host, port, passwordSecretRef)' });
  }
  if (spec.cache.external && !isHostName(spec.cache.external.host)) errors.push({ path: 'spec.cache.external.host', message: hostNameMessage });
  return errors;
}

function isBareHttpURL(s: string): boolean {
  if (!isHttpURL(s)) return false;
  const u = new URL(s);
  return (u.pathname === '' || u.pathname === '/') && u.search === '' && u.hash === '';
}

export function validatePostgresServer(spec: unknown): Validation {
  const parsed = PostgresServerSpec.safeParse(spec);
  if (!parsed.success) return result(schemaErrors(parsed.error.issues), []);
  const errors: FieldError[] = [];
  if (!isHostName(parsed.data.host)) errors.push({ path: 'spec.host', message: hostNameMessage });
  return result(errors, []);
}

export function validateObjectStore(spec: unknown): Validation {
  const parsed = ObjectStoreSpec.safeParse(spec);
  if (!parsed.success) return result(schemaErrors(parsed.error.issues), []);
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  if (!isHttpURL(parsed.data.endpoint)) errors.push({ path: 'spec.endpoint', message: endpointMessage });
  if (parsed.data.iamEndpoint !== undefined && !isHttpURL(parsed.data.iamEndpoint)) errors.push({ path: 'spec.iamEndpoint', message: endpointMessage });
  if (parsed.data.skipTLSVerify) {
    warnings.push('spec.skipTLSVerify is true: the store\'s certificate is not checked; use it for testing only');
  }
  return result(errors, warnings);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}
