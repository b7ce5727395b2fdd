// A kubeconfig whose apiserver never answers: nothing listens on the port, so every request is
// refused, as with a network policy in the way. For the agent's fall-back to the mounted files.
import { writeFile } from 'node:fs/promises';

export async function writeUnreachableKubeconfig(path: string, closedPort: number): Promise<string> {
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'gone', cluster: { server: `https://127.0.0.1:${closedPort}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'agent', user: { token: 'unused' } }],
      contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'agent' } }],
      'current-context': 'gone',
    }),
  );
  return path;
}
