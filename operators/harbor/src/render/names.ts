// Every name the operator generates, in one place. Kubernetes object names that become DNS
// labels (Services) and label values are limited to 63 characters; the archived Harbor operator
// concatenated suffixes without a limit and produced names the apiserver rejected. Here a name
// that would be too long keeps a readable prefix and ends in a hash of the full name, so it is
// stable (the same input always gives the same name) and distinct names stay distinct.
import { createHash } from 'node:crypto';

export const maxNameLength = 63;

export function shortHash(s: string, length = 8): string {
  return createHash('sha256').update(s).digest('hex').slice(0, length);
}

/** `base` if it fits in `max`, else a prefix of it + '-' + a hash of all of it. */
export function boundedName(base: string, max = maxNameLength, separator = '-'): string {
  if (base.length <= max) return base;
  const hash = shortHash(base);
  const prefix = base.slice(0, max - hash.length - separator.length).replace(/[^a-z0-9]+$/, '');
  return `${prefix}${separator}${hash}`;
}

/** Name of an object belonging to the Registry `registry`, e.g. `acme-core`. */
export function objectName(registry: string, suffix: string): string {
  return boundedName(`${registry}-${suffix}`);
}

/** The names of every object rendered for one Registry. */
export interface RegistryNames {
  core: string;
  portal: string;
  jobservice: string;
  registry: string;
  trivy: string;
  exporter: string;
  redis: string;
  ingress: string;
  tls: string;
  /** Generated internal secrets (core, jobservice, registry, CSRF, token key, redis password). */
  internalSecret: string;
  /** Generated admin password, when the spec names none. */
  adminSecret: string;
  /** Generated encryption key, when the spec names none. Kept with the data (see docs). */
  encryptionKeySecret: string;
  /** Credentials of the tenant's database. */
  databaseSecret: string;
  /** Credentials of the tenant's bucket. */
  storageSecret: string;
}

export function registryNames(registry: string): RegistryNames {
  const n = (s: string) => objectName(registry, s);
  return {
    core: n('core'),
    portal: n('portal'),
    jobservice: n('jobservice'),
    registry: n('registry'),
    trivy: n('trivy'),
    exporter: n('exporter'),
    redis: n('redis'),
    ingress: n('harbor'),
    tls: n('tls'),
    internalSecret: n('harbor-secrets'),
    adminSecret: n('harbor-admin'),
    encryptionKeySecret: n('harbor-encryption-key'),
    databaseSecret: n('database'),
    storageSecret: n('storage'),
  };
}

/** Name of the migration Job for a version; a Job's pod template is immutable, so each version gets its own. */
export function migrationJobName(registry: string, version: string): string {
  return objectName(registry, `migrate-${version.replaceAll('.', '-')}`);
}

// --- names on the shared services ------------------------------------------------------------
// Several namespaces share one PostgreSQL server and one object store, so tenant names there
// carry both namespace and name, plus a hash of the exact pair: sanitising characters could
// otherwise make two tenants collide (namespace "a-b" + name "c" versus "a" + "b-c").

function tenantKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The tenant's identity on the shared services (the owner marker of its bucket): `namespace/name`. */
export const tenantOwner = tenantKey;

/** PostgreSQL identifier (database and role) for a tenant: lowercase, [a-z0-9_], at most 63 bytes. */
export function tenantDatabaseName(namespace: string, name: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const hash = shortHash(tenantKey(namespace, name));
  const base = `harbor_${clean(namespace)}_${clean(name)}`;
  return `${base.slice(0, maxNameLength - hash.length - 1).replace(/_+$/, '')}_${hash}`;
}

/** The tenant's login role has the same name as its database: one role, one database. */
export const tenantRoleName = tenantDatabaseName;

/** S3 bucket name: 3-63 characters, lowercase letters, digits and '-'. */
export function tenantBucketName(prefix: string, namespace: string, name: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const hash = shortHash(tenantKey(namespace, name));
  const base = `${prefix}${clean(namespace)}-${clean(name)}`.replace(/^-+/, '');
  return `${base.slice(0, maxNameLength - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** IAM user name on the object store (IAM allows 64 characters of [\w+=,.@-]). */
export function tenantStorageUserName(namespace: string, name: string): string {
  return tenantBucketName('harbor-', namespace, name);
}
