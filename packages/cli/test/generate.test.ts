import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { parse } from 'yaml';
import { crdYaml, customKindsIn, generateCrds, registerGenerateCommand } from '../src/generate.js';

const fixture = fileURLToPath(new URL('../../runtime/test/fixtures/widget.ts', import.meta.url));
const golden = fileURLToPath(new URL('../../runtime/test/golden/widgets.example.tugboat.dev.yaml', import.meta.url));

describe('tugboat generate crds', () => {
  it('finds each exported custom kind once', async () => {
    const kinds = await customKindsIn(fixture);
    assert.deepEqual(kinds.map((k) => k.crdName), ['widgets.example.tugboat.dev']);
  });

  it('writes the golden YAML for the sample kind through the command line', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tugboat-gen-'));
    try {
      const program = new Command('tugboat').exitOverride();
      registerGenerateCommand(program);
      await program.parseAsync(['generate', 'crds', '--from', fixture, '--out', out], { from: 'user' });
      assert.deepEqual(readdirSync(out), ['widgets.example.tugboat.dev.yaml']);
      assert.equal(readFileSync(join(out, 'widgets.example.tugboat.dev.yaml'), 'utf8'), readFileSync(golden, 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('quotes strings a YAML 1.1 reader would take for booleans', () => {
    const text = crdYaml({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'x', labels: { enabled: 'yes', mode: 'on' } }, spec: { group: 'a.b', names: { plural: 'xs', kind: 'X' }, scope: 'Cluster', versions: [] } });
    assert.match(text, /enabled: "yes"/);
    assert.match(text, /mode: "on"/);
    assert.deepEqual(parse(text, { version: '1.1' }).metadata.labels, { enabled: 'yes', mode: 'on' });
  });

  it('says so when a module exports no kinds', async () => {
    await assert.rejects(generateCrds(fileURLToPath(new URL('../src/generate.ts', import.meta.url)), tmpdir()), /exports no custom kinds/);
  });
});
