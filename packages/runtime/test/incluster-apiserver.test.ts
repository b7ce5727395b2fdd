// In-cluster authentication against a real apiserver: a service-account token issued through
// the TokenRequest API, the cluster CA and the namespace laid out as a pod sees them under
// /var/run/secrets/kubernetes.io/serviceaccount (below a temp root), and a client that finds
// the apiserver through KUBERNETES_SERVICE_HOST/PORT. RBAC decides what it may do, so the
// apiserver must really have authenticated it as the service account.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '../src/client.js';
import { isForbidden } from '../src/errors.js';
import { ConfigMap, Namespace, Role, RoleBinding, ServiceAccount } from '../src/kinds.js';

const NS = 'incluster';
const OTHER_NS = 'incluster-other';
const SA = 'reader';
const ENV_KEYS = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const;

interface TokenRequestResult {
  status: { token: string };
}

interface SelfSubjectReviewResult {
  status: { userInfo: { username: string; groups?: string[] } };
}

async function whoAmI(client: Client): Promise<SelfSubjectReviewResult['status']['userInfo']> {
  const review = await client.request<SelfSubjectReviewResult>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  return review.status.userInfo;
}

describe('in-cluster service account credentials', () => {
  let cp: ControlPlane;
  let admin: Client;
  let root: string;
  let host: string;
  let port: string;
  let token: string;
  const saved = new Map<string, string | undefined>();

  before(async () => {
    cp = await startControlPlane();
    admin = await createClient({ kubeconfig: cp.kubeconfigPath });
    for (const name of [NS, OTHER_NS]) await admin.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await admin.create(ServiceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA, namespace: NS } });
    await admin.create(Role, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'configmap-reader', namespace: NS },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    });
    await admin.create(RoleBinding, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'configmap-reader', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
      subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NS }],
    });
    for (const namespace of [NS, OTHER_NS]) {
      await admin.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data: { ns: namespace } });
    }
    // No controller-manager runs, so the apiserver itself mints the token (TokenRequest).
    const tr = await admin.request<TokenRequestResult>('POST', `/api/v1/namespaces/${NS}/serviceaccounts/${SA}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    root = mkdtempSync(join(tmpdir(), 'tugboat-incluster-'));
    const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), tr.status.token, { mode: 0o600 });
    token = tr.status.token;
    writeFileSync(join(dir, 'ca.crt'), cp.ca);
    writeFileSync(join(dir, 'namespace'), NS);
    const url = new URL(cp.server);
    host = url.hostname;
    port = url.port;
    for (const key of ENV_KEYS) saved.set(key, process.env[key]);
  });

  after(async () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await admin?.close();
    await cp?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function checkServiceAccount(client: Client): Promise<void> {
    const list = await client.list(ConfigMap, { namespace: NS });
    assert.deepEqual(
      list.items.map((cm) => cm.metadata.name),
      ['settings'],
    );
    const cm = await client.get(ConfigMap, { namespace: NS, name: 'settings' });
    assert.deepEqual(cm.data, { ns: NS });
    await assert.rejects(client.list(ConfigMap, { namespace: OTHER_NS }), (e: unknown) => isForbidden(e));
    await assert.rejects(client.get(ConfigMap, { namespace: OTHER_NS, name: 'settings' }), (e: unknown) => isForbidden(e));
    const user = await whoAmI(client);
    assert.equal(user.username, `system:serviceaccount:${NS}:${SA}`);
    assert.ok(user.groups?.includes(`system:serviceaccounts:${NS}`), `groups: ${JSON.stringify(user.groups)}`);
  }

  it('finds the apiserver through KUBERNETES_SERVICE_HOST/PORT and authenticates as the service account', async () => {
    process.env.KUBERNETES_SERVICE_HOST = host;
    process.env.KUBERNETES_SERVICE_PORT = port;
    const client = await createClient({ inCluster: { root } });
    try {
      assert.equal(client.server, `https://${host}:${port}`);
      await checkServiceAccount(client);
    } finally {
      await client.close();
      for (const key of ENV_KEYS) delete process.env[key];
    }
  });

  it('takes host and port from options when the environment has none', async () => {
    for (const key of ENV_KEYS) delete process.env[key];
    const client = await createClient({ inCluster: { root, host, port } });
    try {
      await checkServiceAccount(client);
    } finally {
      await client.close();
    }
  });

  it('authenticates through a kubeconfig exec plugin, running it once for many requests', async () => {
    // A credential plugin as cloud CLIs ship them (client.authentication.k8s.io/v1): here a shell
    // script that prints the service account's token and counts its runs.
    const plugin = join(root, 'credential-plugin.sh');
    const runs = join(root, 'plugin-runs');
    writeFileSync(join(root, 'plugin-token'), token, { mode: 0o600 });
    writeFileSync(
      plugin,
      [
        '#!/bin/sh',
        `echo run >> '${runs}'`,
        `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat '${join(root, 'plugin-token')}')"`,
        '',
      ].join('\n'),
      { mode: 0o700 },
    );
    const kubeconfig = join(root, 'exec-kubeconfig.json');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.ca).toString('base64') } }],
        users: [{ name: 'sa', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'sa' } }],
        'current-context': 'c',
      }),
    );
    const client = await createClient({ kubeconfig });
    try {
      await checkServiceAccount(client);
      await checkServiceAccount(client);
      const count = readFileSync(runs, 'utf8').trim().split('\n').length;
      assert.equal(count, 1, 'the credential is cached, not fetched per request');
    } finally {
      await client.close();
    }
  });

  it('fails at creation when the token file is missing', async () => {
    await assert.rejects(createClient({ inCluster: { root: join(root, 'nowhere'), host, port } }), /no service account token/);
  });
});
