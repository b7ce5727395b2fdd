// Credential loading from kubeconfig files: contexts, bearer tokens, basic auth, exec plugins
// (a real executable printing an ExecCredential), server overrides and re-reading on refresh.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCredentials } from '../src/kubeconfig.js';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

function kubeconfig(users: string): string {
  return `apiVersion: v1
kind: Config
current-context: first
clusters:
- name: one
  cluster: { server: "https://one.example:6443/", certificate-authority-data: ${CA} }
- name: two
  cluster: { server: "https://two.example:6443/prefix", insecure-skip-tls-verify: true, tls-server-name: api.two }
contexts:
- name: first
  context: { cluster: one, user: token-user }
- name: second
  context: { cluster: two, user: exec-user }
- name: third
  context: { cluster: one, user: basic-user }
users:
${users}
`;
}

describe('loadCredentials', () => {
  let dir: string;
  let path: string;
  let plugin: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tugboat-kubeconfig-'));
    plugin = join(dir, 'plugin.sh');
    // Each run prints a fresh token, so a refresh is visible.
    writeFileSync(
      plugin,
      `#!/bin/sh\nn=$(cat "${dir}/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/count"\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-'$n'"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    path = join(dir, 'config');
    writeFileSync(
      path,
      kubeconfig(`- name: token-user
  user: { token: static-token }
- name: basic-user
  user: { username: alice, password: wonderland }
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${plugin}
      interactiveMode: Never
`),
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the current context: server without trailing slash, CA, bearer token', async () => {
    const c = await loadCredentials({ kubeconfig: path }).resolve();
    assert.equal(c.server, 'https://one.example:6443');
    assert.match(String(c.tls.ca), /BEGIN CERTIFICATE/);
    assert.equal(c.headers.Authorization, 'Bearer static-token');
  });

  it('switches context, keeps a path prefix, TLS server name and skip-verify', async () => {
    const c = await loadCredentials({ kubeconfig: path, context: 'second' }).resolve();
    assert.equal(c.server, 'https://two.example:6443/prefix');
    assert.equal(c.tls.rejectUnauthorized, false);
    assert.equal(c.tls.servername, 'api.two');
  });

  it('runs exec plugins for tokens, and runs them again on refresh', async () => {
    const creds = loadCredentials({ kubeconfig: path, context: 'second' });
    const first = await creds.resolve();
    assert.match(first.headers.Authorization ?? '', /^Bearer exec-token-\d+$/);
    assert.equal((await creds.resolve()).headers.Authorization, first.headers.Authorization, 'cached between calls');
    const refreshed = await creds.refresh();
    assert.notEqual(refreshed.headers.Authorization, first.headers.Authorization);
    assert.match(refreshed.headers.Authorization ?? '', /^Bearer exec-token-\d+$/);
  });

  it('turns basic auth into an Authorization header', async () => {
    const c = await loadCredentials({ kubeconfig: path, context: 'third' }).resolve();
    assert.equal(c.headers.Authorization, `Basic ${Buffer.from('alice:wonderland').toString('base64')}`);
  });

  it('overrides the server when asked', async () => {
    const c = await loadCredentials({ kubeconfig: path, server: 'https://127.0.0.1:9999/' }).resolve();
    assert.equal(c.server, 'https://127.0.0.1:9999');
    assert.equal(c.headers.Authorization, 'Bearer static-token');
  });

  it('fails at load time for an unknown context or a missing file', () => {
    assert.throws(() => loadCredentials({ kubeconfig: path, context: 'nope' }), /no context "nope"/);
    assert.throws(() => loadCredentials({ kubeconfig: join(dir, 'absent') }), /ENOENT/);
  });
});
