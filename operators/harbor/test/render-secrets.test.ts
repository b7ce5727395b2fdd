// Generated secrets: the lengths Harbor requires, no bias-prone shortcuts, an htpasswd line the
// registry accepts, a usable token certificate, and a lossless round trip through the Secrets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { renderAdminSecret, renderEncryptionKeySecret, renderInternalSecret, readStoredSecrets } from '../src/render/secret-manifests.js';
import { generateHarborSecrets, htpasswdAccepts, htpasswdLine, randomString, registryUser } from '../src/render/secrets.js';
import { inputOf } from './fixtures/harbor-input.js';

describe('generated secrets', () => {
  it('have the lengths and alphabet Harbor requires', async () => {
    const s = await generateHarborSecrets({ tokenKeyBits: 2048 });
    assert.equal(s.encryptionKey.length, 16);
    assert.equal(s.csrfKey.length, 32);
    for (const v of [s.coreSecret, s.jobserviceSecret, s.registryHttpSecret]) assert.equal(v.length, 16);
    for (const v of [s.encryptionKey, s.csrfKey, s.coreSecret, s.registryPassword, s.redisPassword, s.adminPassword]) assert.match(v, /^[A-Za-z0-9]+$/);
    const again = await generateHarborSecrets({ tokenKeyBits: 2048 });
    assert.notEqual(again.encryptionKey, s.encryptionKey);
    assert.notEqual(again.registryPassword, s.registryPassword);
  });

  it('include an htpasswd line (bcrypt) for the registry user that accepts only its password', async () => {
    const s = await generateHarborSecrets({ tokenKeyBits: 2048 });
    assert.match(s.registryHtpasswd, new RegExp(`^${registryUser}:\\$2[aby]\\$10\\$`));
    assert.equal(await htpasswdAccepts(s.registryHtpasswd, registryUser, s.registryPassword), true);
    assert.equal(await htpasswdAccepts(s.registryHtpasswd, registryUser, 'wrong'), false);
    assert.equal(await htpasswdAccepts(s.registryHtpasswd, 'someone-else', s.registryPassword), false);
    assert.notEqual(await htpasswdLine(registryUser, 'same'), await htpasswdLine(registryUser, 'same'));
  });

  it('include a token key and a self-signed certificate for it', async () => {
    const s = await generateHarborSecrets({ tokenKeyBits: 2048 });
    const cert = new X509Certificate(s.tokenCert);
    assert.equal(cert.subject, 'CN=harbor-token-issuer');
    assert.ok(cert.checkPrivateKey(createPrivateKey(s.tokenKey)));
    assert.ok(cert.verify(createPublicKey(s.tokenCert)));
    assert.equal(createPrivateKey(s.tokenKey).asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(new Date(cert.validTo).getTime() > Date.now() + 9 * 365 * 24 * 3600 * 1000);
  });

  it('draws random strings uniformly over the alphabet', () => {
    const counts = new Map<string, number>();
    const s = randomString(62_000);
    for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    assert.equal(counts.size, 62);
    // 1000 expected per character; a modulo-biased draw would give the first 8 about 25% more.
    for (const [, n] of counts) assert.ok(n > 800 && n < 1200, String(n));
  });
});

describe('stored secrets', () => {
  it('read back exactly what was rendered', async () => {
    const generated = await generateHarborSecrets({ tokenKeyBits: 2048 });
    const input = { ...inputOf(), secrets: generated };
    const stored = readStoredSecrets({
      internal: renderInternalSecret(input),
      admin: renderAdminSecret(input),
      encryptionKey: renderEncryptionKeySecret(input),
      needAdmin: true,
      needEncryptionKey: true,
    });
    assert.deepEqual(stored, { ok: true, secrets: generated });
  });

  it('report what is missing, so a fresh Registry gets generated secrets', () => {
    assert.deepEqual(readStoredSecrets({ needAdmin: true, needEncryptionKey: false }), {
      ok: false,
      missing: ['core-secret', 'jobservice-secret', 'registry-http-secret', 'registry-password', 'registry-htpasswd', 'csrf-key', 'token.key', 'token.crt', 'redis-password', 'password'],
    });
  });

  it('are not rendered for values the user supplies', () => {
    const input = inputOf({ adminPasswordSecretRef: { name: 'my-admin', key: 'pw' }, encryptionKeySecretRef: { name: 'my-key', key: 'key' } });
    assert.equal(renderAdminSecret(input), undefined);
    assert.equal(renderEncryptionKeySecret(input), undefined);
  });
});
