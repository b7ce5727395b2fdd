import { stringify } from 'yaml';

/** An admin-style kubeconfig with credentials embedded, so the file alone is enough. */
export function renderKubeconfig(o: { server: string; ca: string; user: string; cert?: string; key?: string; token?: string; clusterName?: string }): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const cluster = o.clusterName ?? 'tugboat';
  const user: Record<string, string> = {};
  if (o.cert && o.key) {
    user['client-certificate-data'] = b64(o.cert);
    user['client-key-data'] = b64(o.key);
  }
  if (o.token) user['token'] = o.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority-data': b64(o.ca) } }],
    users: [{ name: o.user, user }],
    contexts: [{ name: `${o.user}@${cluster}`, context: { cluster, user: o.user } }],
    'current-context': `${o.user}@${cluster}`,
  });
}
