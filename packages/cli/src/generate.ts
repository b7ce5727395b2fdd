// `tugboat generate crds --from <module> --out <dir>`: the CRD YAML for every custom kind a
// module exports, one file per CRD (`<plural>.<group>.yaml`). The kinds are the code; the YAML
// is an artefact for `kubectl apply`, Helm charts and OLM bundles, so it is regenerated, never
// edited by hand.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { isCustomKind, type CustomKind } from '@tugboat/runtime/crd';
import type { CustomResourceDefinition } from '@tugboat/runtime/kinds';

/** Every custom kind the module exports, one per CRD (a kind exported at several versions counts once). */
export async function customKindsIn(from: string): Promise<CustomKind[]> {
  const looksLikePath = from.startsWith('.') || from.startsWith('/') || existsSync(from);
  const specifier = looksLikePath ? pathToFileURL(resolve(from)).href : from;
  const mod = (await import(specifier)) as Record<string, unknown>;
  const byCrd = new Map<string, CustomKind>();
  for (const value of Object.values(mod)) {
    if (isCustomKind(value) && !byCrd.has(value.crdName)) byCrd.set(value.crdName, value);
  }
  return [...byCrd.values()].sort((a, b) => a.crdName.localeCompare(b.crdName));
}

/**
 * YAML 1.1 output: the apiserver and kubectl read YAML with a 1.1 parser, where bare `yes`,
 * `no`, `on`, `off` are booleans; writing as 1.1 quotes such strings so they stay strings.
 */
export function crdYaml(crd: CustomResourceDefinition): string {
  return stringify(crd, { version: '1.1', aliasDuplicateObjects: false });
}

/** Writes one YAML file per CRD into `outDir`; returns the paths written. */
export async function generateCrds(from: string, outDir: string): Promise<string[]> {
  const kinds = await customKindsIn(from);
  if (kinds.length === 0) throw new Error(`${from} exports no custom kinds (define them with defineCustomKind and export them)`);
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const kind of kinds) {
    const file = join(outDir, `${kind.crdName}.yaml`);
    writeFileSync(file, crdYaml(kind.crd()));
    written.push(file);
  }
  return written;
}

export function registerGenerateCommand(program: Command): void {
  const generate = program.command('generate').description('generate files from code');
  generate
    .command('crds')
    .description('write a CustomResourceDefinition YAML file for every custom kind a module exports')
    .requiredOption('--from <module>', 'TypeScript or JavaScript module (path or package name) exporting kinds made with defineCustomKind')
    .requiredOption('--out <dir>', 'directory for the <plural>.<group>.yaml files')
    .action(async (opts: { from: string; out: string }) => {
      for (const file of await generateCrds(opts.from, opts.out)) process.stdout.write(`${file}\n`);
    });
}
