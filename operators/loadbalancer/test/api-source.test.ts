// The agent and the Kubernetes API, for real: it reads its ConfigMap through a kube-apiserver
// (no kubelet in the loop) and applies it to a real HAProxy, across apiserver restarts and etcd
// compaction; and it reports what it applied, and what it refused, on its pod.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { ConfigMap, createClient, Pod, type Client } from '@tugboat/runtime';
import { appliedHashAnnotation, rejectedAnnotation } from '../src/api/annotations.js';
import { apiConfigSource } from '../src/agent/api-source.js';
import { podReporter, type PodReporter } from '../src/agent/pod-report.js';
import { startBackend, type Backend } from './support/backends.js';
import { get, waitFor } from './support/http.js';
import { freePort, startTestLb, type TestLb } from './support/lb.js';
import { httpSpec } from './support/specs.js';

describe('agent with the ConfigMap from the Kubernetes API', () => {
  let cp: ControlPlane;
  let client: Client;
  let lb: TestLb;
  let a: Backend, b: Backend;
  let port: number;
  let reporter: PodReporter;
  const key = { namespace: 'default', name: 'lb-demo-haproxy' };
  const pod = { namespace: 'default', name: 'lb-demo-0' };

  async function put(files: Record<string, string>): Promise<void> {
    await client.apply(ConfigMap, { metadata: { ...key }, data: files }, { fieldManager: 'test', force: true });
  }

  before(async () => {
    [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    // The pod object only: no node runs it, the agent reports on it as it would from inside.
    await client.create(Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { ...pod }, spec: { containers: [{ name: 'haproxy', image: 'haproxy:2.6' }] } });
    reporter = podReporter(client, pod);
    lb = await startTestLb({ source: () => apiConfigSource(client, { ...key, watchTimeoutSeconds: 30 }), onStatus: (s) => reporter.report(s) });
    port = await freePort(lb.address);
  });

  after(async () => {
    reporter?.close();
    await lb?.close();
    await client?.close();
    await cp?.stop();
    await Promise.all([a, b].map((x) => x?.close()));
  });

  test('the agent waits for its ConfigMap, then serves it', async () => {
    assert.equal(lb.agent.status().phase, 'WaitingForConfig');
    const cfg = lb.render(httpSpec(port, [{ address: a.address, port: a.port }]));
    await put(cfg.files);
    assert.equal((await lb.applied(cfg.hash)).lastMethod, 'start');
    assert.equal((await get(`http://${lb.address}:${port}/`)).body, 'A');
  });

  test('an update reaches HAProxy through the watch, without a reload for a member change', async () => {
    const cfg = lb.render(httpSpec(port, [{ address: b.address, port: b.port }]));
    await put(cfg.files);
    assert.equal((await lb.applied(cfg.hash)).lastMethod, 'runtime');
    assert.equal((await get(`http://${lb.address}:${port}/`)).body, 'B');
  });

  test('updates still arrive after an apiserver restart and after etcd compaction', async () => {
    await cp.restartApiServer();
    const one = lb.render(httpSpec(port, [{ address: a.address, port: a.port }]));
    await put(one.files);
    await lb.applied(one.hash);
    await cp.compactEtcd();
    const two = lb.render(httpSpec(port, [{ address: a.address, port: a.port }, { address: b.address, port: b.port }]));
    await put(two.files);
    await lb.applied(two.hash);
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add((await get(`http://${lb.address}:${port}/`)).body);
    assert.deepEqual([...bodies].sort(), ['A', 'B']);
  });

  test('the pod carries the applied hash, and a refusal while there is one', async () => {
    const annotations = async () => (await client.get(Pod, pod)).metadata.annotations ?? {};
    const applied = lb.agent.status().appliedHash ?? '';
    await waitFor('the applied hash on the pod', async () => ((await annotations())[appliedHashAnnotation] === applied ? true : undefined));
    const current = (await client.get(ConfigMap, key)).data ?? {};
    await put({ ...current, 'haproxy.cfg': `${current['haproxy.cfg'] ?? ''}\nbackend oops\n    nonsense-keyword\n` });
    const refused = await waitFor('the refusal on the pod', async () => (await annotations())[rejectedAnnotation]);
    assert.match(refused, /^[0-9a-f]{64}: haproxy -c: /);
    assert.equal((await annotations())[appliedHashAnnotation], applied, 'the applied hash did not move');
    await put(current);
    await waitFor('the refusal to be cleared', async () => ((await annotations())[rejectedAnnotation] === undefined ? true : undefined));
  });

  test('deleting the ConfigMap leaves the running configuration serving', async () => {
    const applied = lb.agent.status().appliedHash;
    await client.delete(ConfigMap, key);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(lb.agent.status().appliedHash, applied);
    assert.equal((await get(`http://${lb.address}:${port}/`)).status, 200);
  });
});
