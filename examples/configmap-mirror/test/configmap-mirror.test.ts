// The example operator end to end on a real apiserver: copies appear and follow their source,
// a missing source is reported (and healed when it appears), and the CRD's CEL rule refuses a
// mirror that would overwrite its source.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigMap, createLogger, createRegistry, CustomResourceDefinition, Event, Manager } from '@tugboat/runtime';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { ConfigMirror } from '../api.js';
import { configMirrorController, renderCopies } from '../controller.js';
import { eventually } from '@tugboat/testenv';


const source = (name: string, data: Record<string, string>): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });

describe('example: configmap-mirror', () => {
  let cp: ControlPlane;
  let mgr: Manager;
  let running: Promise<void>;

  before(async () => {
    cp = await startControlPlane();
    mgr = await Manager.create({ kubeconfig: cp.kubeconfigPath, registry: createRegistry(), handleSignals: false, log: createLogger({ write: () => undefined }) });
    await mgr.client.apply(CustomResourceDefinition, { ...ConfigMirror.crd(), metadata: { name: ConfigMirror.crdName } }, { fieldManager: 'configmirror', force: true });
    await eventually('CRD established', async () => {
      const crd = await mgr.client.get(CustomResourceDefinition, { name: ConfigMirror.crdName });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
    mgr.add(configMirrorController(mgr));
    running = mgr.start();
    await mgr.synced;
  });
  after(async () => {
    await mgr?.stop();
    await running;
    await cp?.stop();
  });

  it('renders one copy per name with the source data (pure)', () => {
    const m = ConfigMirror.make({ metadata: { name: 'm', namespace: 'ns' }, spec: { source: 's', copies: ['a', 'b'] } });
    const copies = renderCopies(m, source('s', { k: 'v' }));
    assert.deepEqual(copies.map((c) => [c.metadata.name, c.metadata.namespace, c.data]), [['a', 'ns', { k: 'v' }], ['b', 'ns', { k: 'v' }]]);
  });

  it('keeps the copies in sync with the source', async () => {
    const client = mgr.client;
    await client.create(ConfigMap, source('settings', { color: 'blue' }));
    await client.create(ConfigMirror, ConfigMirror.make({ metadata: { name: 'settings-mirror', namespace: 'default' }, spec: { source: 'settings', copies: ['copy-a', 'copy-b'] } }));
    const synced = (want: string) => async () => {
      const copies = await Promise.all(['copy-a', 'copy-b'].map((n) => client.get(ConfigMap, { namespace: 'default', name: n })));
      return copies.every((c) => c.data?.color === want) ? copies : undefined;
    };
    const copies = await eventually('copies', synced('blue'));
    assert.ok(copies.every((c) => c.metadata.ownerReferences?.[0]?.kind === 'ConfigMirror'));
    const mirror = await eventually('Ready', async () => {
      const m = await client.get(ConfigMirror, { namespace: 'default', name: 'settings-mirror' });
      return m.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? m : undefined;
    });
    assert.equal(mirror.status?.observedGeneration, mirror.metadata.generation);

    await client.patch(ConfigMap, { namespace: 'default', name: 'settings' }, { data: { color: 'green' } }, 'merge');
    await eventually('copies follow the source', synced('green'));
  });

  it('reports a missing source, and heals when it appears', async () => {
    const client = mgr.client;
    await client.create(ConfigMirror, ConfigMirror.make({ metadata: { name: 'orphan', namespace: 'default' }, spec: { source: 'later', copies: ['later-copy'] } }));
    const m = await eventually('SourceNotFound', async () => {
      const x = await client.get(ConfigMirror, { namespace: 'default', name: 'orphan' });
      return x.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'SourceNotFound') ? x : undefined;
    });
    assert.match(m.status?.conditions?.[0]?.message ?? '', /ConfigMap later not found/);
    await eventually('warning event', async () => {
      const evs = await client.list(Event, { namespace: 'default' });
      return evs.items.find((e) => e.reason === 'SourceNotFound' && e.regarding?.name === 'orphan' && e.type === 'Warning');
    });
    await client.create(ConfigMap, source('later', { ok: 'yes' }));
    await eventually('healed', () => client.get(ConfigMap, { namespace: 'default', name: 'later-copy' }).then((c) => (c.data?.ok === 'yes' ? c : undefined)));
  });

  it('the apiserver refuses a mirror that would overwrite its source', async () => {
    const bad = JSON.stringify({ apiVersion: 'example.tugboat.dev/v1alpha1', kind: 'ConfigMirror', metadata: { name: 'loop', namespace: 'default' }, spec: { source: 'x', copies: ['x'] } });
    await assert.rejects(cp.kubectl(['apply', '-f', '-'], { input: bad }), /a copy cannot overwrite its source/);
  });
});
