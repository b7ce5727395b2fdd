// The validating webhook, called by a real kube-apiserver: what a user sees from `kubectl apply`
// when a load balancer or pool breaks a cross-field rule. Each rejection names the field and
// says what to do; valid objects pass (with warnings where something they need is missing).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '@tugboat/runtime';
import { createWebhookServer, type WebhookServer } from '@tugboat/runtime/webhook';
import { IPAllocation, allocationName, ownerUidLabel, poolLabel } from '../src/api/ipallocation.js';
import { installCrds, loadBalancerCrds } from '../src/controllers/crds.js';
import { registerValidation } from '../src/webhook/validation.js';

function lbYaml(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', metadata: { name, namespace: 'default' }, spec });
}

const web = { name: 'web', members: [{ address: '10.1.0.1', port: 8080 }] };

async function applyError(cp: ControlPlane, yaml: string): Promise<string> {
  try {
    await cp.kubectl(['apply', '-f', '-'], { input: yaml });
  } catch (e) {
    return (e as { stderr: string }).stderr;
  }
  assert.fail('kubectl apply succeeded but was expected to be rejected');
}

describe('LB validating webhook through kubectl', () => {
  let cp: ControlPlane;
  let client: Client;
  let server: WebhookServer;

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await installCrds(client, loadBalancerCrds());
    server = createWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certificates: { ipAddresses: ['127.0.0.1'], checkIntervalMs: 60_000 },
      install: { client, name: 'tugboat-lb' },
    });
    registerValidation(server, client);
    await server.start();
  });

  after(async () => {
    await server?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('rejects a listener pointing at a pool that does not exist, naming the field', async () => {
    const err = await applyError(
      cp,
      lbYaml('bad-pool', {
        ipPool: 'public',
        listeners: [{ name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' }, { name: 'alt', port: 81, protocol: 'HTTP', defaultPool: 'missing' }],
        pools: [web],
      }),
    );
    // The schema's CEL rule or the webhook may answer first; either way the field and the fix are named.
    assert.match(err, /spec\.listeners/);
    assert.match(err, /missing|defaultPool must name a pool/);
  });

  it('rejects an HTTPS listener whose TLS Secret does not exist and says how to create it', async () => {
    const err = await applyError(
      cp,
      lbYaml('no-secret', {
        ipPool: 'public',
        listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', defaultPool: 'web', tls: { certificates: [{ secretRef: { name: 'site-cert' } }] } }],
        pools: [web],
      }),
    );
    assert.match(err, /spec\.listeners\[0\]\.tls\.certificates\[0\]\.secretRef\.name/);
    assert.match(err, /Secret "site-cert" does not exist in this namespace; create it \(kubectl create secret tls site-cert/);
  });

  it('rejects a pool used by both a TCP and an HTTP listener', async () => {
    const err = await applyError(
      cp,
      lbYaml('mixed', {
        ipPool: 'public',
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' },
          { name: 'raw', port: 9000, protocol: 'TCP', defaultPool: 'web' },
        ],
        pools: [web],
      }),
    );
    assert.match(err, /spec\.pools\[0\]: pool "web" is used by TCP listener raw and HTTP listener http; a pool speaks one protocol, so give each its own pool/);
  });

  it('rejects a health monitor whose expected-code range is backwards', async () => {
    const err = await applyError(
      cp,
      lbYaml('codes', {
        ipPool: 'public',
        listeners: [{ name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' }],
        pools: [{ ...web, healthMonitor: { type: 'HTTP', http: { expectedCodes: '299-200' } } }],
      }),
    );
    assert.match(err, /spec\.pools\[0\]\.healthMonitor\.http\.expectedCodes: range 299-200 is backwards; write the lower code first/);
  });

  it('admits a valid load balancer whose pool does not exist yet', async () => {
    const out = await cp.kubectl(['apply', '-f', '-', '--warnings-as-errors=false'], {
      input: lbYaml('good', { ipPool: 'later', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' }], pools: [web] }),
    }).catch((e: { stderr: string }) => assert.fail(e.stderr));
    assert.match(out, /loadbalancer.lb.tugboat.dev\/good created/);
  });

  it('refuses to change the pool of a load balancer that holds an address', async () => {
    const lb = JSON.parse(await cp.kubectl(['get', 'lb', 'good', '-o', 'json'])) as { metadata: { resourceVersion: string } };
    await client.patch(
      { group: 'lb.tugboat.dev', version: 'v1alpha1', kind: 'LoadBalancer', plural: 'loadbalancers', namespaced: true },
      { namespace: 'default', name: 'good' },
      { status: { address: '192.0.2.10', addresses: ['192.0.2.10'] }, metadata: { resourceVersion: lb.metadata.resourceVersion } },
      'merge',
      { subresource: 'status' },
    );
    const err = await applyError(
      cp,
      lbYaml('good', { ipPool: 'other', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' }], pools: [web] }),
    );
    assert.match(err, /spec\.ipPool: cannot change from "later" once address 192\.0\.2\.10 is allocated; create a new LoadBalancer on pool "other"/);
  });

  it('rejects an IPPool with no usable address and one that would strand an allocated address', async () => {
    const excludeAll = JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'IPPool', metadata: { name: 'empty' }, spec: { addresses: ['192.0.2.0/30'], exclude: ['192.0.2.0/30'] } });
    assert.match(await applyError(cp, excludeAll), /spec\.addresses: after exclusions the pool has no usable address; widen spec\.addresses or shrink spec\.exclude/);

    const pool = (addresses: string[]) => JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'IPPool', metadata: { name: 'public' }, spec: { addresses } });
    await cp.kubectl(['apply', '-f', '-'], { input: pool(['192.0.2.0/24']) });
    await client.create(IPAllocation, {
      apiVersion: 'lb.tugboat.dev/v1alpha1',
      kind: 'IPAllocation',
      metadata: { name: allocationName('public', '192.0.2.200'), labels: { [poolLabel]: 'public', [ownerUidLabel]: 'u-1' } },
      spec: { pool: 'public', address: '192.0.2.200', owner: { namespace: 'default', name: 'holder', uid: 'u-1' } },
    });
    const err = await applyError(cp, pool(['192.0.2.0/25']));
    assert.match(err, /spec\.addresses: 1 allocated address\(es\) would leave the pool: 192\.0\.2\.200 \(default\/holder\); delete those load balancers first/);
  });
});
