// The identity of a rendered configuration. The controller stores it in the LB status and names
// ConfigMaps after it; the agent reports the one it has applied; equal hashes mean equal files.
import { createHash } from 'node:crypto';

/** sha256 over the files sorted by name, each as name NUL content NUL; hex, 64 characters. */
export function configHash(files: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(name).update('\0').update(files[name] ?? '').update('\0');
  return h.digest('hex');
}
