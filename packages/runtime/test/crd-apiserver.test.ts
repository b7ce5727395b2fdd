// Generated CRDs against a real kube-apiserver: they install and become Established, the
// apiserver enforces their schema and CEL rules with the messages a user sees in kubectl,
// applies their defaults, and serves their printer columns, short names, categories and
// subresources.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { parse } from 'yaml';
import { z } from 'zod';
import { createClient, type Client } from '../src/client.js';
import { defineCustomKind, type CustomKind } from '../src/crd.js';
import { CustomResourceDefinition } from '../src/kinds.js';
import { Widget } from './fixtures/widget.js';
import { eventually } from '@tugboat/testenv';

// A cluster-scoped kind without status, columns or extras: the other end of the feature range.
const Gadget = defineCustomKind({
  group: 'example.tugboat.dev',
  kind: 'Gadget',
  plural: 'gadgets',
  scope: 'Cluster',
  versions: [{ name: 'v1', spec: z.object({ color: z.enum(['red', 'blue']), note: z.string().max(100).optional() }) }],
});

const kinds: CustomKind[] = [Widget, Gadget];
const golden = new URL('./golden/widgets.example.tugboat.dev.yaml', import.meta.url);


function widget(name: string, spec: Record<string, unknown>, apiVersion = 'example.tugboat.dev/v1beta1'): string {
  return JSON.stringify({ apiVersion, kind: 'Widget', metadata: { name, namespace: 'default' }, spec });
}

describe('generated CRDs in a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
  });
  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it('installs every generated CRD and each becomes Established', async () => {
    // Widget from the golden YAML file (what `tugboat generate crds` writes, byte for byte, as the
    // CLI's own test checks) through kubectl; the others straight from .crd() through the client.
    assert.deepEqual(parse(readFileSync(golden, 'utf8')), Widget.crd());
    await cp.kubectl(['apply', '--server-side', '-f', fileURLToPath(golden)]);
    for (const kind of kinds.filter((k) => k !== Widget)) {
      await client.create(CustomResourceDefinition, kind.crd());
    }
    for (const kind of kinds) {
      const crd = await eventually(`${kind.crdName} Established`, async () => {
        const c = await client.get(CustomResourceDefinition, { name: kind.crdName });
        return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ? c : undefined;
      });
      // NonStructuralSchema would be reported here if the linter had let something through.
      assert.equal(crd.status?.conditions?.find((c) => c.type === 'NonStructuralSchema'), undefined);
      assert.deepEqual(crd.status?.acceptedNames?.kind, kind.kind);
    }
    // Discovery may lag behind Established by a moment.
    await eventually('widgets served', async () => cp.kubectl(['get', 'widgets', '-A']));
  });

  it('rejects an object that breaks the schema, naming the field', async () => {
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('bad-schema', { replicas: 500, ports: [{ name: 'http', port: 80 }] }) }),
      /spec\.replicas: Invalid value: 500: spec\.replicas in body should be less than or equal to 100/,
    );
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('bad-enum', { size: 'huge', ports: [{ name: 'http', port: 80 }] }) }),
      /spec\.size: Unsupported value: "huge": supported values: "small", "medium", "large"/,
    );
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('bad-keys', { ports: [{ name: 'http', port: 80 }], labels: { 'Not OK': 'x' } }) }),
      /The Widget "bad-keys" is invalid: spec\.labels: Invalid value: every key must match \^\[a-z0-9\.\/-\]\+\$/,
    );
  });

  it('rejects an object that breaks a CEL rule, with the rule message and field path', async () => {
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('bad-cel', { size: 'large', replicas: 2, minReplicas: 5, ports: [{ name: 'http', port: 80 }] }) }),
      /The Widget "bad-cel" is invalid: spec\.minReplicas: Invalid value: minReplicas must not exceed replicas/,
    );
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('bad-small', { size: 'small', replicas: 5, ports: [{ name: 'http', port: 80 }] }) }),
      /a small widget runs at most 3 replicas/,
    );
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('a-widget-name-that-is-longer-than-forty-characters', { ports: [{ name: 'http', port: 80 }] }) }),
      /widget names are at most 40 characters/,
    );
  });

  it('rejects duplicate keys in a map list and set', async () => {
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('dup', { ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }) }),
      /spec\.ports\[1\]: Duplicate value: \{"name":"http"\}/,
    );
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widget('dup-tags', { ports: [{ name: 'http', port: 80 }], tags: ['a', 'a'] }) }),
      /spec\.tags\[1\]: Duplicate value: "a"/,
    );
  });

  it('accepts a valid object, fills in defaults, keeps free-form fields and int-or-string values', async () => {
    await cp.kubectl(['apply', '-f', '-'], {
      input: widget('good', { ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9090, targetPort: 9091 }], extra: { any: { nested: [1, 'two'] } } }),
    });
    const got = await client.get(Widget, { namespace: 'default', name: 'good' });
    assert.equal(got.spec.size, 'small');
    assert.equal(got.spec.replicas, 1);
    assert.deepEqual(got.spec.extra, { any: { nested: [1, 'two'] } });
    assert.deepEqual(got.spec.ports.map((p) => p.targetPort), ['web', 9091]);
    // The client-side validator agrees with the apiserver on what it stored.
    assert.ok(Widget.validate(got).ok);
  });

  it('prunes fields the schema does not declare', async () => {
    const out = await cp.kubectl(['apply', '--validate=false', '-f', '-'], { input: widget('pruned', { ports: [{ name: 'http', port: 80 }], bogus: 1 }) });
    assert.match(out, /widget\.example\.tugboat\.dev\/pruned created/);
    const got = (await client.get(Widget, { namespace: 'default', name: 'pruned' })) as { spec: Record<string, unknown> };
    assert.equal('bogus' in got.spec, false);
  });

  it('serves printer columns, the short name and the category', async () => {
    const table = await cp.kubectl(['get', 'wdg', 'good']);
    const [header, row] = table.trim().split('\n');
    assert.match(header ?? '', /^NAME\s+SIZE\s+REPLICAS\s+AGE$/);
    assert.match(row ?? '', /^good\s+small\s+1\s+\S+$/);
    const wide = await cp.kubectl(['get', 'widget', 'good', '-o', 'wide']);
    assert.match(wide.split('\n')[0] ?? '', /READY/);
    const category = await cp.kubectl(['get', 'tugboat', '-o', 'name']);
    assert.match(category, /widget\.example\.tugboat\.dev\/good/);
  });

  it('serves the scale and status subresources', async () => {
    await cp.kubectl(['scale', 'widget', 'good', '--replicas=3']);
    const got = await client.get(Widget, { namespace: 'default', name: 'good' });
    assert.equal(got.spec.replicas, 3);
    const status = await client.patch(Widget, { namespace: 'default', name: 'good' }, { status: { replicas: 3, selector: 'app=good' } }, 'merge', { subresource: 'status' });
    assert.equal(status.status?.replicas, 3);
    const scale = JSON.parse(await cp.kubectl(['get', '--raw', '/apis/example.tugboat.dev/v1beta1/namespaces/default/widgets/good/scale'])) as {
      spec: { replicas: number };
      status: { replicas: number; selector: string };
    };
    assert.deepEqual([scale.spec.replicas, scale.status.replicas, scale.status.selector], [3, 3, 'app=good']);
    // Writes to the main resource do not change status (it is a subresource).
    await cp.kubectl(['patch', 'widget', 'good', '--type=merge', '-p', '{"status":{"replicas":99}}']);
    assert.equal((await client.get(Widget, { namespace: 'default', name: 'good' })).status?.replicas, 3);
  });

  it('selects by a selectable field', async () => {
    await cp.kubectl(['apply', '-f', '-'], { input: widget('big', { size: 'large', ports: [{ name: 'http', port: 80 }] }) });
    const names = await cp.kubectl(['get', 'widgets', '--field-selector', 'spec.size=large', '-o', 'name']);
    assert.equal(names.trim(), 'widget.example.tugboat.dev/big');
  });

  it('warns on the deprecated version', async () => {
    const out = await cp.kubectl(['get', 'widgets.v1alpha1.example.tugboat.dev', 'good', '-o', 'name']);
    assert.match(out, /widget\.example\.tugboat\.dev\/good/);
    const warn = await cp.kubectl(['get', 'widgets.v1alpha1.example.tugboat.dev', '-o', 'name', '--warnings-as-errors']).then(
      () => '',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    assert.match(warn, /example\.tugboat\.dev\/v1alpha1 Widget is deprecated; use v1beta1/);
  });

  it('serves a cluster-scoped kind', async () => {
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(Gadget.make({ metadata: { name: 'g1' }, spec: { color: 'red' } })) });
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'example.tugboat.dev/v1', kind: 'Gadget', metadata: { name: 'g2' }, spec: { color: 'green' } }) }),
      /spec\.color: Unsupported value: "green"/,
    );
    const got = await client.get(Gadget, { name: 'g1' });
    assert.equal((got.spec as { color: string }).color, 'red');
  });
});
