// The webhook server's readiness check, on a real TLS listener on loopback: it passes only
// while the server accepts a handshake and serves a certificate valid now.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '../src/certs.js';
import { createRegistry } from '../src/metrics.js';
import { createWebhookServer } from '../src/webhook.js';

describe('webhook server readiness', () => {
  it('fails before start, passes while serving a valid certificate, fails after stop', async () => {
    const server = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: { ipAddresses: ['127.0.0.1'] }, registry: createRegistry() });
    assert.match((await server.ready()) ?? '', /has not started/);
    await server.start();
    try {
      assert.equal(await server.ready(), undefined);
    } finally {
      await server.stop();
    }
    assert.match((await server.ready()) ?? '', /not listening/);
  });

  it('checks the chain against the CA bundle, not the host name the certificate was issued for', async () => {
    const ca = await createCertificateAuthority();
    // Issued for the Service name the apiserver would use; the check dials 127.0.0.1.
    const pair = await issueServingCertificate(ca, { dnsNames: ['webhook.tugboat-system.svc'] });
    const good = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: { ...pair, caBundle: ca.cert }, registry: createRegistry() });
    await good.start();
    try {
      assert.equal(await good.ready(), undefined);
    } finally {
      await good.stop();
    }
    const otherCa = await createCertificateAuthority();
    const untrusted = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: { ...pair, caBundle: otherCa.cert }, registry: createRegistry() });
    await untrusted.start();
    try {
      assert.match((await untrusted.ready()) ?? '', /serving on 127\.0\.0\.1:\d+ failed/);
    } finally {
      await untrusted.stop();
    }
  });

  it('fails with an expired certificate, with or without a CA bundle to check it against', async () => {
    const ca = await createCertificateAuthority();
    // Issued a minute in the past (the usual backdating), expired thirty seconds ago.
    const expired = await issueServingCertificate(ca, { ipAddresses: ['127.0.0.1'], validForMs: -30_000 });
    const withBundle = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: { ...expired, caBundle: ca.cert }, registry: createRegistry() });
    const withoutBundle = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: expired, registry: createRegistry() });
    await withBundle.start();
    await withoutBundle.start();
    try {
      assert.match((await withBundle.ready()) ?? '', /expired/);
      assert.match((await withoutBundle.ready()) ?? '', /the serving certificate expired at /);
    } finally {
      await withBundle.stop();
      await withoutBundle.stop();
    }
  });
});
