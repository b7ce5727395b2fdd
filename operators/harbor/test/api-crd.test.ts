// The Registry, PostgresServer and ObjectStore CRDs generated from the zod schemas, installed on a
// real kube-apiserver: defaults are applied, and the CEL rules (host syntax, TLS choice,
// immutable storage, database server and encryption key, name syntax) reject bad objects with
// messages that name the field — what a user sees from `kubectl apply`, before anything exists.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { lintStructural } from '@tugboat/runtime/structural';
import { ObjectStore } from '../src/api/object-store.js';
import { PostgresServer } from '../src/api/postgres-server.js';
import { Registry } from '../src/api/registry.js';

const kinds = [Registry, PostgresServer, ObjectStore];

function registry(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'registry.tugboat.dev/v1alpha1', kind: 'Registry', metadata: { name, namespace: 'default' }, spec };
}

const validSpec = {
  version: '2.15.2',
  expose: { ingress: { host: 'registry.acme.example', tls: { secretName: 'acme-tls' } } },
  database: { serverRef: { name: 'shared-pg' } },
  storage: { objectStoreRef: { name: 'shared-s3' } },
};

describe('CRDs on a real apiserver', { timeout: 180_000 }, () => {
  let cp: ControlPlane;
  const apply = (obj: unknown) => cp.kubectl(['apply', '--server-side', '--field-manager=test', '-f', '-'], { input: stringify(obj) });
  /** Applies and expects a rejection; resolves with kubectl's error output. */
  async function rejected(obj: unknown): Promise<string> {
    try {
      await apply(obj);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    assert.fail('the apiserver accepted an invalid object');
  }

  before(async () => {
    cp = await startControlPlane();
    for (const k of kinds) await cp.kubectl(['apply', '-f', '-'], { input: stringify(k.crd()) });
    for (const k of kinds) await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${k.crdName}`]);
  });
  after(async () => {
    await cp?.stop();
  });

  it('generates structural schemas', () => {
    for (const k of kinds) assert.deepEqual(lintStructural(k.schema()), [], `${k.kind} schema is structural`);
    assert.deepEqual(Registry.crd().spec.names.shortNames, ['hr']);
    assert.equal(Registry.crd().spec.scope, 'Namespaced');
    assert.equal(PostgresServer.crd().spec.scope, 'Cluster');
    assert.equal(ObjectStore.crd().spec.scope, 'Cluster');
  });

  it('accepts a minimal Registry and fills in the defaults', async () => {
    await apply(registry('acme', validSpec));
    const got = JSON.parse(await cp.kubectl(['get', 'hr', 'acme', '-o', 'json'])) as { spec: Record<string, unknown> & { components: Record<string, { replicas: number; enabled?: boolean }>; cache: { mode: string } } };
    assert.equal(got.spec.deletionPolicy, 'Retain');
    assert.equal(got.spec.logLevel, 'info');
    assert.equal(got.spec.imageRepository, 'docker.io/goharbor');
    assert.deepEqual(got.spec.networkPolicies, { enabled: true });
    assert.equal(got.spec.cache.mode, 'Dedicated');
    assert.equal(got.spec.components.core?.replicas, 1);
    assert.equal(got.spec.components.trivy?.enabled, false);
  });

  it('rejects a host that is not a DNS name, naming the field', async () => {
    const err = await rejected(registry('bad-host', { ...validSpec, expose: { ingress: { host: 'Registry_Acme.example:443' } } }));
    assert.match(err, /spec\.expose\.ingress\.host: Invalid value: .*must be a DNS host name such as registry\.example\.com/);
  });

  it('rejects TLS with both a Secret and cert-manager', async () => {
    const err = await rejected(
      registry('bad-tls', { ...validSpec, expose: { ingress: { host: 'r.example', tls: { secretName: 'x', certManager: { issuerRef: { name: 'le' } } } } } }),
    );
    assert.match(err, /spec\.expose\.ingress\.tls: Invalid value: .*give exactly one of tls\.secretName/);
  });

  it('rejects an external URL with a path, an External cache without its address, and a bad name', async () => {
    assert.match(await rejected(registry('bad-url', { ...validSpec, externalURL: 'https://r.example/harbor' })), /spec\.externalURL: Invalid value: .*no path/);
    assert.match(await rejected(registry('bad-cache', { ...validSpec, cache: { mode: 'External' } })), /spec\.cache: Invalid value: .*cache\.mode External needs cache\.external/);
    assert.match(await rejected(registry('1acme', validSpec)), /The Registry "1acme" is invalid: .*metadata\.name must start with a letter/);
    assert.match(await rejected(registry('bad-version', { ...validSpec, version: 'latest' })), /spec\.version: Invalid value: "latest": spec\.version in body should match/);
  });

  it('refuses to change storage, the database server or the encryption key after creation', async () => {
    await apply(registry('immutable', validSpec));
    assert.match(
      await rejected(registry('immutable', { ...validSpec, storage: { objectStoreRef: { name: 'other-s3' } } })),
      /spec\.storage: Invalid value: .*storage is immutable/,
    );
    assert.match(
      await rejected(registry('immutable', { ...validSpec, storage: { ...validSpec.storage, bucket: 'another-bucket' } })),
      /storage is immutable/,
    );
    assert.match(
      await rejected(registry('immutable', { ...validSpec, database: { serverRef: { name: 'other-pg' } } })),
      /spec\.database: Invalid value: .*database\.serverRef is immutable/,
    );
    assert.match(
      await rejected(registry('immutable', { ...validSpec, encryptionKeySecretRef: { name: 'my-key' } })),
      /spec: Invalid value: .*encryptionKeySecretRef is immutable/,
    );
    // Mutable fields still change.
    await apply(registry('immutable', { ...validSpec, components: { core: { replicas: 3 } } }));
    assert.equal(await cp.kubectl(['get', 'hr', 'immutable', '-o', 'jsonpath={.spec.components.core.replicas}']), '3');
  });

  it('validates the shared-service kinds', async () => {
    const pgs = (spec: Record<string, unknown>) => ({ apiVersion: 'registry.tugboat.dev/v1alpha1', kind: 'PostgresServer', metadata: { name: 'shared-pg' }, spec });
    const adminCredentials = { secretRef: { name: 'pg-admin', namespace: 'platform' } };
    await apply(pgs({ host: 'pg.platform.svc', adminCredentials }));
    const got = JSON.parse(await cp.kubectl(['get', 'postgresserver', 'shared-pg', '-o', 'json'])) as { spec: Record<string, unknown> };
    assert.deepEqual([got.spec.port, got.spec.sslMode, got.spec.maintenanceDatabase], [5432, 'require', 'postgres']);
    assert.match(await rejected(pgs({ host: 'pg platform', adminCredentials })), /spec\.host: Invalid value: .*must be a DNS host name/);

    const os = (spec: Record<string, unknown>) => ({ apiVersion: 'registry.tugboat.dev/v1alpha1', kind: 'ObjectStore', metadata: { name: 'shared-s3' }, spec });
    const s3Creds = { secretRef: { name: 's3-admin', namespace: 'platform' } };
    await apply(os({ endpoint: 'http://seaweedfs.platform.svc:8333', adminCredentials: s3Creds }));
    assert.match(await rejected(os({ endpoint: 's3.example.com', adminCredentials: s3Creds })), /spec\.endpoint: Invalid value: .*must be an http:\/\/ or https:\/\/ URL/);
  });
});
