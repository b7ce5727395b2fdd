// Writes a directory the way the kubelet's atomic writer publishes a mounted ConfigMap: files
// in a timestamped directory, `..data` pointing at it (swapped with one rename), and one
// symlink per key through `..data`. Tests of the file source then see the real swap.
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

export async function publishConfigMapDir(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const version = `..${new Date().toISOString().replace(/[-:.]/g, '_')}.${process.pid}${generation++}`;
  await mkdir(join(dir, version));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, version, name), content);
  const old = await readlink(join(dir, '..data')).catch(() => undefined);
  await symlink(version, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  const entries = await readdir(dir);
  for (const name of Object.keys(files)) {
    if (!entries.includes(name)) await symlink(join('..data', name), join(dir, name));
  }
  for (const name of entries) {
    if (!name.startsWith('..') && files[name] === undefined) await rm(join(dir, name), { force: true });
  }
  if (old !== undefined) await rm(join(dir, old), { recursive: true, force: true });
}
