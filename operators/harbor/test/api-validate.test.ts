// The webhook's checks by value: each rejection names the field and says what to do.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistrySpec } from '../src/api/registry.js';
import { validateObjectStore, validatePostgresServer, validateRegistry, formatErrors, type Validation } from '../src/api/validate.js';
import { compareVersions, defaultHarborVersion, isSupported, parseHarborVersion, supportedLines } from '../src/api/versions.js';
import { baseSpec } from './fixtures/harbor-input.js';
import { validateRegistryAdmission } from '../src/webhook/validating.js';

function errors(v: Validation): { path: string; message: string }[] {
  return v.allowed ? [] : v.errors;
}

describe('Harbor versions', () => {
  it('parses, orders and classifies releases', () => {
    assert.deepEqual(parseHarborVersion('2.15.2'), { major: 2, minor: 15, patch: 2 });
    assert.equal(parseHarborVersion('v2.15.2'), undefined);
    assert.equal(parseHarborVersion('2.15'), undefined);
    assert.equal(parseHarborVersion('2.015.1'), undefined);
    const v = (s: string) => parseHarborVersion(s) ?? assert.fail(s);
    assert.ok(compareVersions(v('2.14.4'), v('2.15.0')) < 0);
    assert.ok(compareVersions(v('2.15.10'), v('2.15.2')) > 0);
    assert.equal(compareVersions(v('2.15.2'), v('2.15.2')), 0);
    assert.deepEqual(supportedLines, ['2.13', '2.14', '2.15']);
    assert.ok(isSupported(v(defaultHarborVersion)));
    assert.ok(!isSupported(v('2.12.3')));
    assert.ok(!isSupported(v('2.6.0')));
  });
});

describe('validateRegistry', () => {
  it('admits a valid spec and applies defaults when parsing', () => {
    assert.deepEqual(validateRegistry(baseSpec), { allowed: true, warnings: [] });
    const spec = RegistrySpec.parse({ ...baseSpec, version: undefined });
    assert.equal(spec.version, defaultHarborVersion);
    assert.equal(spec.deletionPolicy, 'Retain');
    assert.equal(spec.cache.mode, 'Dedicated');
    assert.equal(spec.cache.dedicated.maxMemory, '256mb');
    assert.deepEqual(
      [spec.components.core.replicas, spec.components.jobservice.workers, spec.components.trivy.enabled, spec.components.exporter.enabled],
      [1, 10, false, false],
    );
    assert.equal(spec.networkPolicies.enabled, true);
  });

  it('refuses unsupported releases and says which are supported', () => {
    assert.deepEqual(errors(validateRegistry({ ...baseSpec, version: '2.6.4' })), [
      {
        path: 'spec.version',
        message: `Harbor 2.6.4 is not supported by this operator; supported release lines are 2.13.x, 2.14.x, 2.15.x. Set spec.version to one of them, e.g. ${defaultHarborVersion}`,
      },
    ]);
    assert.deepEqual(errors(validateRegistry({ ...baseSpec, version: 'latest' })), [{ path: 'spec.version', message: 'must be a Harbor release such as 2.15.2' }]);
  });

  it('refuses downgrades and allows upgrades (warning when skipping release lines)', () => {
    assert.deepEqual(errors(validateRegistry({ ...baseSpec, version: '2.14.4' }, { ...baseSpec, version: '2.15.2' })), [
      {
        path: 'spec.version',
        message: 'cannot downgrade Harbor from 2.15.2 to 2.14.4: its database schema was already migrated forward. Keep spec.version at 2.15.2 or choose a later release',
      },
    ]);
    assert.deepEqual(validateRegistry({ ...baseSpec, version: '2.15.2' }, { ...baseSpec, version: '2.14.4' }), { allowed: true, warnings: [] });
    assert.deepEqual(validateRegistry({ ...baseSpec, version: '2.15.2' }, { ...baseSpec, version: '2.13.1' }), {
      allowed: true,
      warnings: ['upgrading Harbor across several release lines (2.13 to 2.15): the migration runs every step at once; take a database backup first'],
    });
  });

  it('lets a failed upgrade be abandoned by going back to the release that still runs, and no further', () => {
    // spec says 2.15.3, its migration failed, status.version (what runs) is still 2.15.2.
    assert.deepEqual(validateRegistry({ ...baseSpec, version: '2.15.2' }, { ...baseSpec, version: '2.15.3' }, '2.15.2'), {
      allowed: true,
      warnings: ['abandoning the upgrade to 2.15.3: back to 2.15.2, which still runs. If the failed migration changed the database, restore the backup before retrying the upgrade'],
    });
    assert.deepEqual(errors(validateRegistry({ ...baseSpec, version: '2.14.4' }, { ...baseSpec, version: '2.15.3' }, '2.15.2')), [
      {
        path: 'spec.version',
        message:
          'cannot downgrade Harbor from 2.15.3 to 2.14.4: its database schema was already migrated forward. Keep spec.version at 2.15.3 or choose a later release (to abandon a failed upgrade, set it back to 2.15.2, the release still running)',
      },
    ]);
    // Once the upgrade completed, status.version is the new release: going back is a downgrade.
    assert.equal(validateRegistry({ ...baseSpec, version: '2.15.2' }, { ...baseSpec, version: '2.15.3' }, '2.15.3').allowed, false);
    const admission = (oldStatus: { version?: string } | undefined) =>
      validateRegistryAdmission({
        uid: 'u',
        kind: { group: 'registry.tugboat.dev', version: 'v1alpha1', kind: 'Registry' },
        resource: { group: 'registry.tugboat.dev', version: 'v1alpha1', resource: 'registries' },
        operation: 'UPDATE',
        namespace: 'acme',
        name: 'harbor',
        userInfo: { username: 'alice' },
        object: { apiVersion: 'registry.tugboat.dev/v1alpha1', kind: 'Registry', metadata: { name: 'harbor', namespace: 'acme' }, spec: { ...baseSpec, version: '2.15.2' } },
        oldObject: { apiVersion: 'registry.tugboat.dev/v1alpha1', kind: 'Registry', metadata: { name: 'harbor', namespace: 'acme' }, spec: { ...baseSpec, version: '2.15.3' }, ...(oldStatus ? { status: oldStatus } : {}) },
      } as Parameters<typeof validateRegistryAdmission>[0]);
    assert.equal(admission({ version: '2.15.2' }).allowed, true, 'the webhook reads status.version from the stored object');
    assert.equal(admission(undefined).allowed, false);
  });

  it('refuses changes to storage, the database server and the encryption key', () => {
    const v = validateRegistry(
      { ...baseSpec, storage: { objectStoreRef: { name: 'other' } }, database: { serverRef: { name: 'other-pg' } }, encryptionKeySecretRef: { name: 'k' } },
      baseSpec,
    );
    assert.deepEqual(
      errors(v).map((e) => e.path),
      ['spec.storage', 'spec.database.serverRef.name', 'spec.encryptionKeySecretRef'],
    );
    assert.match(formatErrors(errors(v)), /^spec\.storage: storage is immutable \(was \{"objectStoreRef":\{"name":"shared-s3"\},"redirect":false\}\): images live in that bucket\. Restore the previous value/);
    assert.match(errors(v)[2]?.message ?? '', /was unset, so a generated key/);
    // Spelling out a default is not a change.
    assert.equal(validateRegistry({ ...baseSpec, storage: { objectStoreRef: { name: 'shared-s3' }, redirect: false } }, baseSpec).allowed, true);
    // Other fields may change.
    assert.equal(validateRegistry({ ...baseSpec, components: { core: { replicas: 3 } }, deletionPolicy: 'Delete' }, baseSpec).allowed, true);
  });

  it('mirrors the CEL rules: host syntax, one TLS source, external URL, external cache', () => {
    const ingress = (o: Record<string, unknown>) => ({ ...baseSpec, expose: { ingress: { host: 'registry.acme.example', ...o } } });
    for (const host of ['Registry.acme.example', 'registry_acme.example', 'registry.acme.example:443', '*.acme.example', `${'a'.repeat(64)}.example`, 'registry..example']) {
      assert.deepEqual(errors(validateRegistry(ingress({ host }))).map((e) => e.path), ['spec.expose.ingress.host'], host);
    }
    assert.equal(validateRegistry(ingress({ host: `${'a'.repeat(63)}.example` })).allowed, true);
    assert.deepEqual(errors(validateRegistry(ingress({ tls: { secretName: 'a', certManager: { issuerRef: { name: 'le' } } } }))), [
      { path: 'spec.expose.ingress.tls', message: 'give exactly one of tls.secretName (an existing certificate) or tls.certManager (issue one)' },
    ]);
    assert.deepEqual(errors(validateRegistry(ingress({ tls: {} }))).map((e) => e.path), ['spec.expose.ingress.tls']);
    for (const url of ['ftp://r.example', 'https://r.example/harbor', 'https://r.example?x=1', 'r.example']) {
      assert.deepEqual(errors(validateRegistry({ ...baseSpec, externalURL: url })).map((e) => e.path), ['spec.externalURL'], url);
    }
    assert.equal(validateRegistry({ ...baseSpec, externalURL: 'https://r.example:8443/' }).allowed, true);
    assert.deepEqual(errors(validateRegistry({ ...baseSpec, cache: { mode: 'External' } })), [
      { path: 'spec.cache', message: 'cache.mode External needs cache.external (host, port, passwordSecretRef)' },
    ]);
  });

  it('reports schema errors with their field paths', () => {
    const v = validateRegistry({ ...baseSpec, deletionPolicy: 'Destroy', components: { core: { replicas: -1 } } });
    assert.deepEqual(errors(v).map((e) => e.path).sort(), ['spec.components.core.replicas', 'spec.deletionPolicy']);
    assert.deepEqual(errors(validateRegistry({ ...baseSpec, storage: undefined })).map((e) => e.path), ['spec.storage']);
  });

  it('warns when externalURL is https but the Ingress has no TLS', () => {
    const v = validateRegistry({ ...baseSpec, externalURL: 'https://r.example', expose: { ingress: { host: 'r.example' } } });
    assert.deepEqual(v, { allowed: true, warnings: ['spec.externalURL is https:// but spec.expose.ingress.tls is not set: TLS must then be terminated in front of the Ingress'] });
  });
});

describe('validatePostgresServer and validateObjectStore', () => {
  const pgCreds = { secretRef: { name: 'pg-admin', namespace: 'platform' } };
  const s3Creds = { secretRef: { name: 's3-admin', namespace: 'platform' } };

  it('accepts valid specs', () => {
    assert.deepEqual(validatePostgresServer({ host: 'pg.platform.svc', adminCredentials: pgCreds }), { allowed: true, warnings: [] });
    assert.deepEqual(validateObjectStore({ endpoint: 'http://s3.platform.svc:8333', adminCredentials: s3Creds }), { allowed: true, warnings: [] });
  });

  it('rejects bad hosts, endpoints and enums with the field path', () => {
    assert.deepEqual(errors(validatePostgresServer({ host: 'pg platform', adminCredentials: pgCreds })).map((e) => e.path), ['spec.host']);
    assert.deepEqual(errors(validatePostgresServer({ host: 'pg', sslMode: 'prefer', adminCredentials: pgCreds })).map((e) => e.path), ['spec.sslMode']);
    assert.deepEqual(errors(validateObjectStore({ endpoint: 's3.example.com', adminCredentials: s3Creds })), [
      { path: 'spec.endpoint', message: 'must be an http:// or https:// URL with a host, e.g. https://s3.example.com' },
    ]);
    assert.deepEqual(errors(validateObjectStore({ endpoint: 'https://s3.example.com', bucketPrefix: 'Harbor_', adminCredentials: s3Creds })).map((e) => e.path), ['spec.bucketPrefix']);
  });

  it('warns about skipTLSVerify', () => {
    assert.deepEqual(validateObjectStore({ endpoint: 'https://s3.example.com', skipTLSVerify: true, adminCredentials: s3Creds }), {
      allowed: true,
      warnings: ["spec.skipTLSVerify is true: the store's certificate is not checked; use it for testing only"],
    });
  });
});
