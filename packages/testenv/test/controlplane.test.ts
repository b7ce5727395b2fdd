// Proves the control plane is real: the version we built, CRDs served and validated by
// their schema, pods scheduled onto kwok nodes and Ready, garbage collection by the
// controller-manager, RBAC enforced, and two control planes side by side.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../src/index.js';
import { eventually } from '../src/index.js';


const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.tugboat.dev' },
  spec: {
    group: 'test.tugboat.dev',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer', minimum: 1, maximum: 10 } },
              },
            },
          },
        },
      },
    ],
  },
};

describe('control plane with controllers and kwok', () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane({ controllers: true, nodes: 1 });
  });
  after(async () => {
    const dir = cp?.dir;
    await cp?.stop();
    if (dir) assert.equal(existsSync(dir), false, 'stop() removes the working directory');
  });

  it('serves the version it was built as', async () => {
    const v = JSON.parse(await cp.kubectl(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string; major: string; minor: string } };
    assert.equal(v.serverVersion.gitVersion, 'v1.37.2');
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '37');
  });

  it('installs a CRD whose resources are served and validated by the schema', async () => {
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) });
    await cp.kubectl(['wait', '--for=condition=Established', 'crd/widgets.test.tugboat.dev', '--timeout=60s']);
    const ok = { apiVersion: 'test.tugboat.dev/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec: { size: 3 } };
    await eventually('widget created', async () => cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(ok) }));
    const got = JSON.parse(await cp.kubectl(['get', 'widget', 'w1', '-o', 'json'])) as { spec: { size: number } };
    assert.equal(got.spec.size, 3);
    const bad = { ...ok, metadata: { name: 'w2', namespace: 'default' }, spec: { size: 99 } };
    await assert.rejects(cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(bad) }), /spec\.size: Invalid value: 99: spec\.size in body should be less than or equal to 10/);
  });

  it("schedules a Deployment's pods onto a kwok node and they become Ready", async () => {
    await cp.kubectl(['create', 'deployment', 'web', '--image=registry.invalid/web:1', '--replicas=2']);
    await cp.kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const pods = JSON.parse(await cp.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as {
      items: { spec: { nodeName?: string }; status: { conditions?: { type: string; status: string }[] } }[];
    };
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) {
      assert.equal(p.spec.nodeName, 'kwok-node-0');
      assert.ok(p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }
  });

  it('garbage-collects dependents when their owner is deleted', async () => {
    const owner = JSON.parse(await cp.kubectl(['create', 'configmap', 'owner', '-o', 'json'])) as { metadata: { uid: string } };
    const child = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'child', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }] },
    };
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(child) });
    await cp.kubectl(['delete', 'configmap', 'owner']);
    await eventually('child collected', async () => {
      try {
        await cp.kubectl(['get', 'configmap', 'child']);
        return undefined;
      } catch (e) {
        return /NotFound/.test((e as Error).message) ? true : undefined;
      }
    });
  });

  it('denies a user without RBAC permissions', async () => {
    const kc = await cp.addUser('mallory');
    await assert.rejects(
      cp.kubectl(['get', 'configmaps', '-n', 'default'], { kubeconfig: kc }),
      /User "mallory" cannot list resource "configmaps" in API group "" in the namespace "default"/,
    );
    // Granting a role makes the same request pass, so the denial above was RBAC and not a broken user.
    await cp.kubectl(['create', 'role', 'cm-reader', '--verb=list', '--resource=configmaps']);
    await cp.kubectl(['create', 'rolebinding', 'mallory-cm', '--role=cm-reader', '--user=mallory']);
    await eventually('rbac grant takes effect', async () => cp.kubectl(['get', 'configmaps', '-n', 'default'], { kubeconfig: kc }));
  });
});

describe('two control planes at once', () => {
  it('run side by side without clashing and stop cleanly', async () => {
    const [a, b] = await Promise.all([startControlPlane(), startControlPlane()]);
    try {
      assert.notEqual(a.server, b.server);
      await a.kubectl(['create', 'namespace', 'only-in-a']);
      await b.kubectl(['get', 'namespace', 'default']);
      await assert.rejects(b.kubectl(['get', 'namespace', 'only-in-a']), /NotFound/);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const port = Number(new URL(a.server).port);
    const { createServer } = await import('node:net');
    await new Promise<void>((ok, fail) => {
      const s = createServer();
      s.once('error', fail);
      s.listen(port, '127.0.0.1', () => s.close(() => ok()));
    });
  });
});
