// The client against a real kube-apiserver: CRUD, typed errors (each produced by the apiserver
// itself), server-side apply with field ownership conflicts and the status subresource,
// patches, pagination, metadata-only lists, watches and bookmarks, auth refresh on 401.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client, type RequestInfo } from '../src/client.js';
import { isAlreadyExists, isConflict, isForbidden, isInvalid, isNotFound, type ApiError } from '../src/errors.js';
import { ConfigMap, CustomResourceDefinition, Deployment, Namespace, Service } from '../src/kinds.js';
import { loadCredentials, type CredentialSource } from '../src/kubeconfig.js';
import { defineKind, type KubeObject } from '../src/object.js';
import type { WatchEvent } from '../src/watch.js';
import { eventually } from './support/eventually.js';

const NS = 'client-test';

interface Gadget extends KubeObject {
  spec?: { size?: number };
  status?: { phase?: string; observedGeneration?: number };
}
const Gadget = defineKind<Gadget>({ group: 'test.tugboat.dev', version: 'v1', kind: 'Gadget', plural: 'gadgets', namespaced: true });

function rejectsWith(p: Promise<unknown>, guard: (e: unknown) => e is ApiError, check?: (e: ApiError) => void): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(guard(e), `expected ${guard.name}, got ${String(e)}`);
    check?.(e);
    return true;
  });
}

const rvNum = (o: { metadata: { resourceVersion?: string } }) => Number(o.metadata.resourceVersion);

describe('client against a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;
  const requests: RequestInfo[] = [];

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath, onRequest: (i) => requests.push(i) });
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });

  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it('creates, gets, updates and deletes, keeping objects plain JSON', async () => {
    const created = await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'crud', namespace: NS }, data: { a: '1' } });
    assert.ok(created.metadata.uid);
    assert.equal(typeof created.metadata.creationTimestamp, 'string', 'timestamps stay strings, no Date conversion');
    const got = await client.get(ConfigMap, { namespace: NS, name: 'crud' });
    assert.deepEqual(got.data, { a: '1' });
    assert.equal(Object.getPrototypeOf(got), Object.prototype);

    const updated = await client.update(ConfigMap, { ...got, data: { a: '2' } });
    assert.equal(updated.data?.a, '2');
    assert.notEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion);

    await client.delete(ConfigMap, { namespace: NS, name: 'crud' });
    await rejectsWith(client.get(ConfigMap, { namespace: NS, name: 'crud' }), isNotFound);
  });

  it('fills in apiVersion and kind when the object leaves them out', async () => {
    const created = await client.create(ConfigMap, { metadata: { name: 'typemeta', namespace: NS } } as ConfigMap);
    assert.equal(created.kind, 'ConfigMap');
    assert.equal(created.apiVersion, 'v1');
  });

  it('does not persist a dry-run create', async () => {
    const dry = await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: NS } }, { dryRun: true });
    assert.equal(dry.metadata.name, 'dry');
    await rejectsWith(client.get(ConfigMap, { namespace: NS, name: 'dry' }), isNotFound);
  });

  it('throws NotFound, AlreadyExists, Conflict and Invalid (with field causes) as the apiserver reports them', async () => {
    await rejectsWith(client.get(ConfigMap, { namespace: NS, name: 'missing' }), isNotFound, (e) => {
      assert.equal(e.code, 404);
      assert.match(e.message, /"missing" not found/);
    });
    await rejectsWith(client.delete(ConfigMap, { namespace: NS, name: 'missing' }), isNotFound);

    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup', namespace: NS } };
    const first = await client.create(ConfigMap, cm);
    await rejectsWith(client.create(ConfigMap, cm), isAlreadyExists, (e) => assert.equal(e.code, 409));

    await client.update(ConfigMap, { ...first, data: { x: '1' } });
    // `first` now carries a stale resourceVersion: optimistic concurrency must refuse it.
    await rejectsWith(client.update(ConfigMap, { ...first, data: { x: '2' } }), isConflict, (e) => assert.equal(e.code, 409));

    await rejectsWith(
      client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_A_DNS_Name', namespace: NS } }),
      isInvalid,
      (e) => {
        assert.equal(e.code, 422);
        assert.ok(
          e.causes.some((c) => c.field === 'metadata.name' && c.message.length > 0),
          `causes: ${JSON.stringify(e.causes)}`,
        );
      },
    );
  });

  it('refuses a delete whose precondition does not hold', async () => {
    await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'precond', namespace: NS } });
    await rejectsWith(client.delete(ConfigMap, { namespace: NS, name: 'precond' }, { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }), isConflict);
    const cm = await client.get(ConfigMap, { namespace: NS, name: 'precond' });
    await client.delete(ConfigMap, { namespace: NS, name: 'precond' }, { preconditions: { uid: cm.metadata.uid ?? '' }, propagationPolicy: 'Background' });
    await rejectsWith(client.get(ConfigMap, { namespace: NS, name: 'precond' }), isNotFound);
  });

  it('throws Forbidden for an authenticated user without RBAC', async () => {
    const nobody = await createClient({ kubeconfig: await cp.addUser('nobody') });
    try {
      await rejectsWith(nobody.get(ConfigMap, { namespace: NS, name: 'anything' }), isForbidden, (e) => {
        assert.equal(e.code, 403);
        assert.match(e.message, /"nobody" cannot get resource "configmaps"/);
      });
      await rejectsWith(nobody.list(ConfigMap, { namespace: NS }), isForbidden);
    } finally {
      await nobody.close();
    }
  });

  it('server-side applies, reports field conflicts between managers, and forces when asked', async () => {
    const applied = await client.apply(ConfigMap, { metadata: { name: 'ssa', namespace: NS }, data: { owned: 'by-a', shared: 'a' } }, { fieldManager: 'manager-a' });
    assert.deepEqual(applied.data, { owned: 'by-a', shared: 'a' });

    await rejectsWith(client.apply(ConfigMap, { metadata: { name: 'ssa', namespace: NS }, data: { shared: 'b' } }, { fieldManager: 'manager-b' }), isConflict, (e) => {
      assert.ok(
        e.causes.some((c) => c.field === '.data.shared' && c.reason === 'FieldManagerConflict'),
        `causes: ${JSON.stringify(e.causes)}`,
      );
    });

    const forced = await client.apply(ConfigMap, { metadata: { name: 'ssa', namespace: NS }, data: { shared: 'b' } }, { fieldManager: 'manager-b', force: true });
    assert.deepEqual(forced.data, { owned: 'by-a', shared: 'b' });
    const managers = (forced.metadata.managedFields ?? []) as { manager: string; fieldsV1?: { 'f:data'?: Record<string, unknown> } }[];
    assert.ok(managers.find((m) => m.manager === 'manager-b')?.fieldsV1?.['f:data']?.['f:shared'] !== undefined);
    assert.equal(managers.find((m) => m.manager === 'manager-a')?.fieldsV1?.['f:data']?.['f:shared'], undefined, 'force took the field from manager-a');

    // Applying again without a field the manager owned removes it: apply is declarative.
    const shrunk = await client.apply(ConfigMap, { metadata: { name: 'ssa', namespace: NS }, data: {} }, { fieldManager: 'manager-a' });
    assert.deepEqual(shrunk.data, { shared: 'b' });
  });

  it('applies the status subresource separately from the spec', async () => {
    await client.apply(
      Service,
      { metadata: { name: 'lb', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], selector: { app: 'web' } } },
      { fieldManager: 'lb-test' },
    );
    const withStatus = await client.apply(
      Service,
      { metadata: { name: 'lb', namespace: NS }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } },
      { fieldManager: 'lb-test', subresource: 'status' },
    );
    assert.deepEqual(withStatus.status?.loadBalancer?.ingress?.map((i) => i.ip), ['192.0.2.10']);
    assert.equal(withStatus.spec?.type, 'LoadBalancer');

    // Status sent to the main resource is ignored by the apiserver.
    const ignored = await client.apply(
      Service,
      { metadata: { name: 'lb', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], selector: { app: 'web' } }, status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } },
      { fieldManager: 'lb-test' },
    );
    assert.deepEqual(ignored.status?.loadBalancer?.ingress?.map((i) => i.ip), ['192.0.2.10']);
  });

  it('updates and patches the status of a custom resource through its subresource', async () => {
    await client.create(CustomResourceDefinition, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.test.tugboat.dev' },
      spec: {
        group: 'test.tugboat.dev',
        names: { plural: 'gadgets', kind: 'Gadget', singular: 'gadget' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  status: { type: 'object', properties: { phase: { type: 'string' }, observedGeneration: { type: 'integer' } } },
                },
              },
            },
          },
        ],
      },
    });
    await eventually('CRD established', async () => {
      const crd = await client.get(CustomResourceDefinition, { name: 'gadgets.test.tugboat.dev' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
    const g = await eventually('gadget created', () =>
      client.create(Gadget, { apiVersion: 'test.tugboat.dev/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: NS }, spec: { size: 1 } }),
    );
    const st = await client.updateStatus(Gadget, { ...g, status: { phase: 'Ready', observedGeneration: g.metadata.generation ?? 0 } });
    assert.equal(st.status?.phase, 'Ready');
    assert.equal(st.metadata.generation, g.metadata.generation, 'a status write does not bump generation');

    const merged = await client.patch(Gadget, { namespace: NS, name: 'g1' }, { status: { phase: 'Degraded' } }, 'merge', { subresource: 'status' });
    assert.equal(merged.status?.phase, 'Degraded');
    assert.equal(merged.spec?.size, 1);

    const spec = await client.patch(Gadget, { namespace: NS, name: 'g1' }, [{ op: 'replace', path: '/spec/size', value: 3 }], 'json');
    assert.equal(spec.spec?.size, 3);
    assert.equal(spec.status?.phase, 'Degraded');
  });

  it('merge-, JSON- and strategic-merge-patches built-in kinds', async () => {
    await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'patchme', namespace: NS }, data: { a: '1' } });
    const m = await client.patch(ConfigMap, { namespace: NS, name: 'patchme' }, { metadata: { labels: { l: 'v' } }, data: { b: '2' } }, 'merge');
    assert.deepEqual(m.data, { a: '1', b: '2' });
    assert.deepEqual(m.metadata.labels, { l: 'v' });
    const j = await client.patch(ConfigMap, { namespace: NS, name: 'patchme' }, [{ op: 'remove', path: '/data/a' }], 'json');
    assert.deepEqual(j.data, { b: '2' });

    await client.create(Deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'sidecar', image: 'side:1' }] } },
      },
    });
    // Strategic merge patches merge the containers list by name instead of replacing it.
    const s = await client.patch(Deployment, { namespace: NS, name: 'web' }, { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } }, 'strategic');
    assert.deepEqual(
      s.spec?.template.spec.containers.map((c) => `${c.name}=${c.image}`),
      ['app=app:2', 'sidecar=side:1'],
    );
  });

  it('lists one page at a time and follows continue tokens in listAll', async () => {
    for (let i = 0; i < 25; i++) {
      await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `page-${String(i).padStart(2, '0')}`, namespace: NS, labels: { batch: 'paging' } } });
    }
    const page = await client.list(ConfigMap, { namespace: NS, labelSelector: 'batch=paging', limit: 10 });
    assert.equal(page.items.length, 10);
    assert.ok(page.metadata.continue, 'a first page of 10 out of 25 has a continue token');

    const all = await client.listAll(ConfigMap, { namespace: NS, labelSelector: 'batch=paging', limit: 10 });
    const names = all.items.map((c) => c.metadata.name);
    assert.equal(names.length, 25);
    assert.equal(new Set(names).size, 25);
    assert.ok(all.metadata.resourceVersion);
    assert.equal(all.metadata.continue, undefined);

    const none = await client.listAll(ConfigMap, { namespace: NS, labelSelector: 'batch=nothing' });
    assert.deepEqual(none.items, []);
  });

  it('lists metadata only when asked', async () => {
    await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bulky', namespace: NS, labels: { meta: 'only' } }, data: { big: 'x'.repeat(10_000) } });
    const list = await client.listAll(ConfigMap, { namespace: NS, labelSelector: 'meta=only', metadataOnly: true });
    assert.equal(list.items.length, 1);
    const item = list.items[0];
    assert.equal(item?.kind, 'PartialObjectMetadata');
    assert.equal(item?.apiVersion, 'meta.k8s.io/v1');
    assert.equal(item?.metadata.name, 'bulky');
    assert.equal((item as unknown as { data?: unknown }).data, undefined);
  });

  it('watches ADDED, MODIFIED and DELETED in order from a resourceVersion', async () => {
    const start = await client.list(ConfigMap, { namespace: NS, labelSelector: 'watch=me' });
    const ac = new AbortController();
    const seen: WatchEvent<ConfigMap>[] = [];
    const done = (async () => {
      for await (const ev of client.watch(ConfigMap, { namespace: NS, labelSelector: 'watch=me', resourceVersion: start.metadata.resourceVersion, signal: ac.signal })) {
        seen.push(ev);
        if (ev.type === 'DELETED') ac.abort();
      }
    })();
    const cm = await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: NS, labels: { watch: 'me' } } });
    await client.update(ConfigMap, { ...cm, data: { v: '2' } });
    await client.delete(ConfigMap, { namespace: NS, name: 'watched' });
    await done; // ends quietly on abort
    assert.deepEqual(
      seen.map((e) => e.type),
      ['ADDED', 'MODIFIED', 'DELETED'],
    );
    assert.equal(seen[1]?.object.data?.v, '2');
  });

  it('gets bookmarks whose resourceVersion moves past changes outside the watched selection', async () => {
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet' } });
    const rv0 = Number((await client.list(ConfigMap, { namespace: 'quiet' })).metadata.resourceVersion);
    const ac = new AbortController();
    const seen: WatchEvent<ConfigMap>[] = [];
    let elsewhere: Promise<ConfigMap> | undefined;
    // The apiserver sends a bookmark shortly before the watch's timeout when its store has moved
    // past the watch's resourceVersion. A write in another namespace moves it without giving
    // this watch an event.
    const events = client.watch(ConfigMap, {
      namespace: 'quiet',
      resourceVersion: String(rv0),
      allowWatchBookmarks: true,
      timeoutSeconds: 6,
      signal: ac.signal,
      onOpen: () => {
        elsewhere = client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere', namespace: NS } });
      },
    });
    for await (const ev of events) seen.push(ev);
    const written = await elsewhere;
    assert.ok(written, 'the watch opened');
    const bookmarks = seen.filter((e) => e.type === 'BOOKMARK');
    assert.equal(seen.length, bookmarks.length, 'only bookmarks in a namespace nobody writes to');
    assert.ok(bookmarks.length >= 1, 'a bookmark before the timeout');
    for (const b of bookmarks) assert.ok(rvNum(b.object) >= rvNum(written) && rvNum(b.object) > rv0, `bookmark rv ${b.object.metadata.resourceVersion} > ${rv0}`);
    assert.equal(bookmarks[0]?.object.kind, 'ConfigMap');
  });

  it('reports every request to the metrics hook with method, code and host', async () => {
    requests.length = 0;
    await client.get(Namespace, { name: NS });
    await client.get(Namespace, { name: 'nope' }).catch(() => undefined);
    const host = new URL(cp.server).host;
    assert.deepEqual(
      requests.map((r) => [r.method, r.code, r.host]),
      [
        ['GET', '200', host],
        ['GET', '404', host],
      ],
    );
    assert.ok(requests.every((r) => r.durationSeconds >= 0 && r.durationSeconds < 60));
  });

  it('re-reads credentials once after a 401 and retries', async () => {
    const real = loadCredentials({ kubeconfig: cp.kubeconfigPath });
    let refreshes = 0;
    // First hands out a token the apiserver does not know (as an expired exec-plugin token
    // would be), then the real client certificate.
    const rotating: CredentialSource = {
      origin: 'test',
      resolve: async () => (refreshes === 0 ? { server: cp.server, tls: { ca: cp.ca }, headers: { Authorization: 'Bearer expired-token' } } : real.resolve()),
      refresh: async () => {
        refreshes++;
        return real.refresh();
      },
    };
    const codes: string[] = [];
    const c = await createClient({ credentials: rotating, onRequest: (i) => codes.push(i.code) });
    try {
      const ns = await c.get(Namespace, { name: NS });
      assert.equal(ns.metadata.name, NS);
      assert.equal(refreshes, 1);
      assert.deepEqual(codes, ['401', '200']);
    } finally {
      await c.close();
    }
  });

  it('passes raw requests through the same machinery', async () => {
    const version = await client.request<{ gitVersion: string }>('GET', '/version');
    assert.equal(version.gitVersion, cp.version);
    await assert.rejects(client.request('GET', '/api/v1/namespaces/nope'), isNotFound);
  });
});
