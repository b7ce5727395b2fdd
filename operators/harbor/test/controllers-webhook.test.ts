// Invalid specs are refused at the API, with messages that name the field and the fix, as a
// user sees them in `kubectl apply`. The operator runs in-process with its webhook server; the
// apiserver calls it over TLS with the CA bundle the operator installed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createClient, createLogger, ValidatingWebhookConfiguration, type Client } from '@tugboat/runtime';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { Registry } from '../src/api/registry.js';
import { startHarborOperator, type HarborOperator } from '../src/operator.js';
import { webhookConfigurationName } from '../src/webhook/server.js';
import { condition, eventually } from './controllers-env.js';

function registryYaml(name: string, spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'registry.tugboat.dev/v1alpha1',
    kind: 'Registry',
    metadata: { name, namespace: 'default' },
    spec: {
      version: '2.15.2',
      expose: { ingress: { host: 'registry.acme.example' } },
      database: { serverRef: { name: 'shared' } },
      storage: { objectStoreRef: { name: 'shared' } },
      ...spec,
    },
  });
}

describe('admission: invalid Registries are refused with clear messages', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let client: Client;
  let operator: HarborOperator;
  const apply = (yaml: string, ...flags: string[]) => cp.kubectl(['apply', ...flags, '-f', '-'], { input: yaml });

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    operator = await startHarborOperator({
      kubeconfig: cp.kubeconfigPath,
      leaderElection: false,
      installCRDs: true,
      inCluster: false,
      webhook: { host: '127.0.0.1', port: 0 },
      retryIntervalMs: 1_000,
      log: createLogger({ level: 'error' }),
    });
  });

  after(async () => {
    await operator?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('installs its ValidatingWebhookConfiguration for the three kinds', async () => {
    const v = await client.get(ValidatingWebhookConfiguration, { name: webhookConfigurationName });
    assert.deepEqual(v.webhooks?.map((w) => w.rules?.[0]?.resources?.[0]).sort(), ['objectstores', 'postgresservers', 'registries']);
    assert.ok(v.webhooks?.every((w) => w.failurePolicy === 'Fail'));
  });

  it('refuses an unsupported Harbor release and lists the supported ones', async () => {
    // Only the webhook knows the table of supported releases (the CRD checks the x.y.z shape), and
    // it answers with field causes, so kubectl prints them like a schema error.
    await assert.rejects(
      apply(registryYaml('old', { version: '2.9.0' }), '--dry-run=server'),
      /The Registry "old" is invalid: spec\.version: Harbor 2\.9\.0 is not supported by this operator; supported release lines are 2\.13\.x, 2\.14\.x, 2\.15\.x\. Set spec\.version to one of them, e\.g\. 2\.15\.2/,
    );
  });

  it('refuses a host name that is not one, naming the field', async () => {
    await assert.rejects(apply(registryYaml('badhost', { expose: { ingress: { host: 'https://Registry.Example.com/' } } }), '--dry-run=server'), /spec\.expose\.ingress\.host.*DNS host name such as registry\.example\.com/s);
  });

  it('admits a valid Registry, then refuses a downgrade and changes to immutable fields', async () => {
    await apply(registryYaml('acme', {}));
    await assert.rejects(apply(registryYaml('acme', { version: '2.14.4' })), /spec\.version: cannot downgrade Harbor from 2\.15\.2 to 2\.14\.4: its database schema was already migrated forward\. Keep spec\.version at 2\.15\.2 or choose a later release/);
    await assert.rejects(apply(registryYaml('acme', { storage: { objectStoreRef: { name: 'shared' }, bucket: 'elsewhere' } })), /storage is immutable/);
    await assert.rejects(apply(registryYaml('acme', { database: { serverRef: { name: 'other' } } })), /database\.serverRef is immutable|spec\.database\.serverRef\.name: the database server is immutable/);
    await assert.rejects(apply(registryYaml('acme', { encryptionKeySecretRef: { name: 'my-key', key: 'key' } })), /encryptionKeySecretRef is immutable/);
    // An upgrade is fine.
    await apply(registryYaml('acme', { version: '2.15.3' }), '--dry-run=server');
  });

  it('refuses an invalid PostgresServer and ObjectStore at the API', async () => {
    await assert.rejects(
      apply(stringify({ apiVersion: 'registry.tugboat.dev/v1alpha1', kind: 'ObjectStore', metadata: { name: 's3' }, spec: { endpoint: 'not a url', adminCredentials: { secretRef: { name: 'a', namespace: 'b' } } } }), '--dry-run=server'),
      /spec\.endpoint.*http:\/\/ or https:\/\/ URL/s,
    );
    await assert.rejects(
      apply(stringify({ apiVersion: 'registry.tugboat.dev/v1alpha1', kind: 'PostgresServer', metadata: { name: 'pg' }, spec: { host: 'db.example', port: 0, adminCredentials: { secretRef: { name: 'a', namespace: 'b' } } } }), '--dry-run=server'),
      /spec\.port/,
    );
  });

  it('tells the user which shared service a Registry names does not exist', async () => {
    const r = await eventually('acme reports the missing server', async () => {
      const x = await client.get(Registry, { namespace: 'default', name: 'acme' });
      return condition(x, 'DatabaseReady')?.reason === 'ServerNotFound' ? x : undefined;
    });
    assert.equal(condition(r, 'DatabaseReady')?.message, 'PostgresServer shared does not exist; create it or correct spec.database.serverRef.name');
    assert.equal(condition(r, 'StorageReady')?.reason, 'StoreNotFound');
    assert.equal(condition(r, 'Ready')?.status, 'False');
    // Nothing is deployed without a database and bucket to point it at.
    assert.equal(condition(r, 'ComponentsReady')?.reason, 'WaitingForData');
  });
});
