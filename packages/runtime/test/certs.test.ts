import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { describe, it } from 'node:test';
import { certificateInfo, createCertificateAuthority, createCertRotator, issueServingCertificate, type KeyPair } from '../src/certs.js';

/** Serial number of the certificate a TLS server presents, verified against `ca`. */
async function handshake(port: number, ca: string, servername?: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}) });
  await once(socket, 'secureConnect');
  const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
  socket.destroy();
  return serial;
}

async function serve(pair: KeyPair) {
  const server = createServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('self-managed CA', () => {
  it('issues a serving certificate a TLS client verifies for its IP and DNS names', async () => {
    const ca = await createCertificateAuthority({ commonName: 'test-ca' });
    const leaf = await issueServingCertificate(ca, { dnsNames: ['hook.ns.svc'], ipAddresses: ['127.0.0.1'], validForMs: 3_600_000 });
    const cert = new X509Certificate(leaf.cert);
    assert.ok(cert.verify(new X509Certificate(ca.cert).publicKey), 'signed by the CA');
    assert.equal(cert.checkHost('hook.ns.svc'), 'hook.ns.svc');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(new X509Certificate(ca.cert).ca, true);
    const { server, port } = await serve(leaf);
    try {
      assert.equal(await handshake(port, ca.cert), cert.serialNumber);
      const other = await createCertificateAuthority();
      await assert.rejects(handshake(port, other.cert), /self[- ]signed|unable to verify|certificate/i);
    } finally {
      server.close();
    }
  });

  it('never issues a certificate that outlives its CA', async () => {
    const ca = await createCertificateAuthority({ validForMs: 60 * 60_000 });
    const leaf = await issueServingCertificate(ca, { ipAddresses: ['127.0.0.1'], validForMs: 365 * 24 * 3_600_000 });
    assert.ok(certificateInfo(leaf.cert).notAfter.getTime() <= certificateInfo(ca.cert).notAfter.getTime());
  });
});

describe('certificate rotation', () => {
  it('swaps the serving certificate without a restart, under the same CA bundle', async () => {
    // The rotator exists before the server it feeds, as in the webhook server.
    const holder: { server?: Awaited<ReturnType<typeof serve>>['server'] } = {};
    const rotator = createCertRotator({
      ipAddresses: ['127.0.0.1'],
      onServing: (m) => holder.server?.setSecureContext({ cert: m.serving.cert, key: m.serving.key }),
    });
    const first = await rotator.start();
    const s = await serve(first.serving);
    holder.server = s.server;
    try {
      const before = await handshake(s.port, first.caBundle);
      await rotator.rotate();
      const after = await handshake(s.port, first.caBundle);
      assert.notEqual(after, before, 'a new certificate is served');
      assert.equal(rotator.current().caBundle, first.caBundle, 'the CA bundle did not change');
    } finally {
      rotator.stop();
      s.server.close();
    }
  });

  it('publishes a widened bundle before serving a certificate from a new CA, then trims it', async () => {
    const events: string[] = [];
    const rotator = createCertRotator({
      ipAddresses: ['127.0.0.1'],
      checkIntervalMs: 1_000,
      onCABundle: async (bundle) => {
        events.push(`bundle:${bundle.match(/BEGIN CERTIFICATE/g)?.length ?? 0}`);
      },
      onServing: (m) => events.push(`serving:${new X509Certificate(m.serving.cert).serialNumber}`),
    });
    const first = await rotator.start();
    events.length = 0;
    const next = await rotator.rotate({ ca: true });
    assert.notEqual(next.ca.cert, first.ca.cert);
    const firstServing = new X509Certificate(first.serving.cert).serialNumber;
    const nextServing = new X509Certificate(next.serving.cert).serialNumber;
    // The widened bundle (old + new CA) goes out while the old certificate is still served.
    assert.deepEqual(events, ['bundle:2', `serving:${firstServing}`, `serving:${nextServing}`]);
    assert.ok(new X509Certificate(next.serving.cert).verify(new X509Certificate(next.ca.cert).publicKey));
    // Both CAs are trusted until nothing the old one signed is served; the next check trims the old one.
    assert.equal(next.caBundle.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const deadline = Date.now() + 5_000;
    while (!events.includes('bundle:1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    rotator.stop();
    assert.equal(events.at(-2), 'bundle:1');
    assert.equal(rotator.current().caBundle, next.ca.cert.trim() + '\n');
  });

  it('renews on its own when a certificate reaches the renewal point', async () => {
    const served: string[] = [];
    const rotator = createCertRotator({
      ipAddresses: ['127.0.0.1'],
      validForMs: 4_500, // renewal is due with a third left, 3 s after issuance
      checkIntervalMs: 1_000,
      onServing: (m) => served.push(new X509Certificate(m.serving.cert).serialNumber),
    });
    await rotator.start();
    const deadline = Date.now() + 10_000;
    while (served.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    rotator.stop();
    assert.ok(served.length >= 2, `renewed by itself (served ${served.length} certificates)`);
    assert.notEqual(served[0], served[1]);
  });
});
