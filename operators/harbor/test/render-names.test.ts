// Generated names by value: short names stay readable, long ones are cut to the limit with a
// stable hash, and distinct tenants never share a name on the shared services.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  boundedName,
  migrationJobName,
  registryNames,
  tenantBucketName,
  tenantDatabaseName,
  tenantStorageUserName,
} from '../src/render/names.js';
import { labels, selectorLabels } from '../src/render/labels.js';

const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('object names', () => {
  it('derives readable names from the Registry name', () => {
    const n = registryNames('acme');
    assert.deepEqual(
      [n.core, n.registry, n.redis, n.ingress, n.internalSecret, n.adminSecret, n.encryptionKeySecret, n.databaseSecret, n.storageSecret],
      ['acme-core', 'acme-registry', 'acme-redis', 'acme-harbor', 'acme-harbor-secrets', 'acme-harbor-admin', 'acme-harbor-encryption-key', 'acme-database', 'acme-storage'],
    );
    assert.equal(migrationJobName('acme', '2.15.2'), 'acme-migrate-2-15-2');
  });

  it('cuts long names to 63 characters with a stable hash', () => {
    const long = `customer-${'x'.repeat(80)}`;
    const core = registryNames(long).core;
    assert.equal(core.length, 63);
    assert.match(core, /^customer-x+-[0-9a-f]{8}$/);
    assert.equal(registryNames(long).core, core);
    assert.notEqual(registryNames(long).jobservice, core);
    assert.equal(boundedName('a'.repeat(63)), 'a'.repeat(63));
    assert.equal(boundedName('a'.repeat(64)).length, 63);
  });

  it('keeps every generated name a valid Service name for any valid Registry name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]([-a-z0-9]{0,200}[a-z0-9])?$/), (name) => {
        for (const v of Object.values(registryNames(name))) {
          assert.ok(v.length <= 63, v);
          assert.match(v, dns1035);
        }
        const l = selectorLabels(name, 'core')['app.kubernetes.io/instance'] ?? '';
        assert.ok(l.length > 0 && l.length <= 63);
      }),
    );
  });

  it('labels objects with app.kubernetes.io keys; selectors exclude the version', () => {
    assert.deepEqual(labels('acme', 'core', '2.15.2'), {
      'app.kubernetes.io/name': 'harbor',
      'app.kubernetes.io/instance': 'acme',
      'app.kubernetes.io/component': 'core',
      'app.kubernetes.io/part-of': 'tugboat',
      'app.kubernetes.io/managed-by': 'tugboat',
      'app.kubernetes.io/version': '2.15.2',
    });
    assert.equal('app.kubernetes.io/version' in selectorLabels('acme', 'core'), false);
  });
});

describe('names on the shared services', () => {
  it('are readable and carry a hash of the exact namespace and name', () => {
    assert.match(tenantDatabaseName('tenant-acme', 'registry'), /^harbor_tenant_acme_registry_[0-9a-f]{8}$/);
    assert.match(tenantBucketName('harbor-', 'tenant-acme', 'registry'), /^harbor-tenant-acme-registry-[0-9a-f]{8}$/);
    assert.match(tenantStorageUserName('tenant-acme', 'registry'), /^harbor-tenant-acme-registry-[0-9a-f]{8}$/);
  });

  it('do not collide when sanitising would make two tenants look alike', () => {
    assert.notEqual(tenantDatabaseName('a-b', 'c'), tenantDatabaseName('a', 'b-c'));
    assert.notEqual(tenantBucketName('harbor-', 'a-b', 'c'), tenantBucketName('harbor-', 'a', 'b-c'));
  });

  it('fit PostgreSQL identifiers and S3 bucket names for any namespace and name', () => {
    const k8sName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,120}[a-z0-9])?$/);
    fc.assert(
      fc.property(k8sName, k8sName, fc.stringMatching(/^([a-z0-9][a-z0-9-]{0,19})?$/), (ns, name, prefix) => {
        const db = tenantDatabaseName(ns, name);
        assert.ok(Buffer.byteLength(db) <= 63, db);
        assert.match(db, /^[a-z0-9_]+$/);
        const bucket = tenantBucketName(prefix, ns, name);
        assert.ok(bucket.length >= 3 && bucket.length <= 63, bucket);
        assert.match(bucket, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
      }),
    );
  });
});
