// samples/loadbalancer/ stays valid as the API evolves: every file is accepted by a real
// apiserver with the generated CRDs and the operator's validating webhook.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, createWebhookServer, type Client, type WebhookServer } from '@tugboat/runtime';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { installCrds, loadBalancerCrds } from '../src/controllers/crds.js';
import { registerValidation } from '../src/webhook/validation.js';

const samples = fileURLToPath(new URL('../../../samples/loadbalancer/', import.meta.url));

describe('samples/loadbalancer', () => {
  let cp: ControlPlane;
  let client: Client;
  let server: WebhookServer;

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await installCrds(client, loadBalancerCrds({ multus: true }));
    server = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: { ipAddresses: ['127.0.0.1'] }, install: { client, name: 'tugboat-lb' } });
    registerValidation(server, client);
    await server.start();
  });

  after(async () => {
    await server?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('are all accepted by the apiserver and the webhook', async () => {
    const files = (await readdir(samples)).filter((f) => f.endsWith('.yaml')).sort();
    assert.ok(files.length >= 6);
    for (const f of files) {
      const out = await cp.kubectl(['apply', '-f', join(samples, f)]).catch((e: { stderr?: string }) => assert.fail(`${f}: ${e.stderr ?? String(e)}`));
      assert.match(out, /(created|configured|unchanged)/, f);
    }
    const lbs = await cp.kubectl(['get', 'loadbalancers', '-n', 'demo', '-o', 'name']);
    assert.deepEqual(lbs.trim().split('\n').sort(), ['loadbalancer.lb.tugboat.dev/api', 'loadbalancer.lb.tugboat.dev/tcp', 'loadbalancer.lb.tugboat.dev/web']);
  });
});
