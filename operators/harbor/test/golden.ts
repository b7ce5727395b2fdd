// Golden files: rendered output compared with a file checked into test/golden/. Run the tests
// with UPDATE_GOLDEN=1 to rewrite the files after an intended change, then review the diff.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function assertGolden(name: string, actual: string): void {
  const file = join(dir, name);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, actual);
  assert.ok(existsSync(file), `golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `rendered ${name} differs from test/golden/${name}`);
}
