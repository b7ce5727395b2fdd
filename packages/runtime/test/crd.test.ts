import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { defineCustomKind, isCustomKind } from '../src/crd.js';
import { Widget } from './fixtures/widget.js';

const golden = new URL('./golden/widgets.example.tugboat.dev.yaml', import.meta.url);

describe('CRD generation', () => {
  it('matches the golden CRD for the sample kind', () => {
    const crd = Widget.crd();
    // UPDATE_GOLDEN=1 rewrites the file; review the diff before committing it.
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, stringify(crd, { version: '1.1', aliasDuplicateObjects: false }));
    assert.deepEqual(crd, parse(readFileSync(golden, 'utf8')));
  });

  it('is a Kind of the storage version, with the other versions reachable', () => {
    assert.equal(Widget.group, 'example.tugboat.dev');
    assert.equal(Widget.version, 'v1beta1');
    assert.equal(Widget.plural, 'widgets');
    assert.equal(Widget.namespaced, true);
    assert.equal(Widget.crdName, 'widgets.example.tugboat.dev');
    assert.deepEqual(Widget.versionNames, ['v1alpha1', 'v1beta1']);
    assert.equal(Widget.atVersion('v1alpha1').version, 'v1alpha1');
    assert.ok(isCustomKind(Widget) && isCustomKind(Widget.atVersion('v1alpha1')));
    assert.equal(isCustomKind({ group: 'x', version: 'v1' }), false);
  });

  it('marks exactly one storage version, and a single version is stored by default', () => {
    const versions = Widget.crd().spec.versions.map((v) => [v.name, v.storage]);
    assert.deepEqual(versions, [['v1alpha1', false], ['v1beta1', true]]);
    const single = defineCustomKind({ group: 'a.tugboat.dev', kind: 'Thing', plural: 'things', scope: 'Cluster', versions: [{ name: 'v1', spec: z.object({}) }] });
    const [v] = single.crd().spec.versions;
    assert.equal(v?.storage, true);
    assert.equal(v?.served, true);
    assert.equal(v?.subresources, undefined, 'no status schema, no status subresource');
    assert.equal(v?.additionalPrinterColumns, undefined, 'no columns: kubectl shows Name and Age by itself');
  });

  it('rejects inconsistent definitions up front', () => {
    const spec = z.object({});
    assert.throws(
      () =>
        defineCustomKind({
          group: 'nodot',
          kind: 'lower',
          plural: 'Things',
          scope: 'Namespaced',
          versions: [
            { name: 'v1', spec },
            { name: 'v2', spec },
          ],
        }),
      (e: unknown) =>
        e instanceof TypeError &&
        /group "nodot"/.test(e.message) &&
        /kind "lower"/.test(e.message) &&
        /plural "Things"/.test(e.message) &&
        /exactly one version must have storage: true, found 0/.test(e.message),
    );
    assert.throws(
      () => defineCustomKind({ group: 'a.b', kind: 'A', plural: 'as', scope: 'Cluster', versions: [{ name: 'version1', spec }] }),
      /must look like v1/,
    );
  });

  it('requires spec only when the spec schema does', () => {
    const optional = defineCustomKind({ group: 'a.tugboat.dev', kind: 'Opt', plural: 'opts', scope: 'Cluster', versions: [{ name: 'v1', spec: z.object({ a: z.string().optional() }).optional() }] });
    assert.equal(optional.schema().required, undefined);
    assert.deepEqual(Widget.schema().required, ['spec']);
  });

  it('adds a conversion webhook when asked', () => {
    const crd = Widget.crd({ conversion: { url: 'https://127.0.0.1:9443/convert', caBundle: 'Q0E=' } });
    assert.deepEqual(crd.spec.conversion, {
      strategy: 'Webhook',
      webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://127.0.0.1:9443/convert', caBundle: 'Q0E=' } },
    });
  });
});

describe('client-side validation', () => {
  const valid = {
    apiVersion: 'example.tugboat.dev/v1beta1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80 }] },
  };

  it('accepts a valid object and fills in defaults as the apiserver would', () => {
    const r = Widget.validate(valid);
    assert.ok(r.ok);
    assert.equal(r.value.spec.size, 'small');
    assert.equal(r.value.spec.replicas, 1);
  });

  it('names the field path of every problem', () => {
    const r = Widget.validate({ ...valid, spec: { replicas: 500, ports: [{ name: 'http', port: 80 }, { name: 'Bad_Name', port: 70000 }] } });
    assert.equal(r.ok, false);
    assert.deepEqual(
      !r.ok && r.issues.map((i) => i.path),
      ['spec.replicas', 'spec.ports[1].name', 'spec.ports[1].port'],
    );
  });

  it('checks apiVersion, kind, name and scope', () => {
    const r = Widget.validate({ apiVersion: 'example.tugboat.dev/v1alpha1', kind: 'Gadget', metadata: {}, spec: valid.spec });
    assert.deepEqual(!r.ok && r.issues.map((i) => i.path), ['apiVersion', 'kind', 'metadata.name']);
    const v1alpha1 = Widget.atVersion('v1alpha1').validate({ ...valid, apiVersion: 'example.tugboat.dev/v1alpha1', spec: { port: 80 } });
    assert.ok(v1alpha1.ok);
  });

  it('make() fills apiVersion and kind and throws with the field path', () => {
    const w = Widget.make({ metadata: { name: 'w' }, spec: { ports: [{ name: 'http', port: 80 }] } });
    assert.equal(w.apiVersion, 'example.tugboat.dev/v1beta1');
    assert.equal(w.kind, 'Widget');
    assert.throws(() => Widget.make({ metadata: { name: 'w' }, spec: { ports: [] } }), /spec\.ports: Too small/);
  });
});
