// The cache probe against real Redis servers: each tenant's Redis answers only its own password.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startRedis, type RedisServer } from '@tugboat/testenv';
import { createClient } from 'redis';
import { probeCache } from '../src/provision/probes.js';
import { pingRedis } from '../src/provision/redis.js';
import { redisConf } from '../src/render/redis-config.js';
import { inputOf } from './fixtures/harbor-input.js';

describe('cache probe on real Redis servers', { timeout: 60_000 }, () => {
  let a: RedisServer;
  let b: RedisServer;
  before(async () => {
    [a, b] = await Promise.all([startRedis({ password: 'password-of-a' }), startRedis({ password: 'password-of-b' })]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("PINGs a tenant's Redis with its password", async () => {
    assert.equal(await pingRedis({ host: a.host, port: a.port, password: 'password-of-a' }), 'PONG');
    assert.deepEqual(await probeCache({ host: a.host, port: a.port, password: 'password-of-a' }), { ok: true, message: `Redis at ${a.host}:${a.port} answered PING` });
  });

  it("refuses tenant A's password on tenant B's Redis, and no password at all", async () => {
    await assert.rejects(pingRedis({ host: b.host, port: b.port, password: 'password-of-a' }), /WRONGPASS/);
    const wrong = await probeCache({ host: b.host, port: b.port, password: 'password-of-a' });
    assert.equal(!wrong.ok && wrong.reason, 'AuthenticationFailed');
    assert.doesNotMatch(wrong.message, /password-of-a/);
    await assert.rejects(pingRedis({ host: b.host, port: b.port }), /NOAUTH/);
    const none = await probeCache({ host: b.host, port: b.port });
    assert.equal(!none.ok && none.reason, 'AuthenticationFailed');
  });

  it('reports a cache that does not answer as unreachable', async () => {
    const port = await freePort();
    const r = await probeCache({ host: '127.0.0.1', port, password: 'x' }, 2000);
    assert.equal(!r.ok && r.reason, 'CacheUnreachable');
  });
});

describe('the rendered redis.conf of the dedicated cache on a real redis-server', { timeout: 60_000 }, () => {
  const input = inputOf();
  let server: RedisServer;
  before(async () => {
    server = await startRedis({ config: redisConf(input) });
  });
  after(async () => {
    await server?.stop();
  });

  it('requires the generated password and applies the memory settings', async () => {
    const anonymous = await probeCache({ host: server.host, port: server.port });
    assert.equal(!anonymous.ok && anonymous.reason, 'AuthenticationFailed');
    assert.equal((await probeCache({ host: server.host, port: server.port, password: input.secrets.redisPassword })).ok, true);
    const client = createClient({ socket: { host: server.host, port: server.port }, password: input.secrets.redisPassword });
    await client.connect();
    const memory = await client.configGet('maxmemory*');
    assert.deepEqual([memory['maxmemory'], memory['maxmemory-policy']], [String(256 * 1024 * 1024), 'volatile-lru']);
    assert.equal((await client.configGet('databases'))['databases'], '16');
    client.destroy();
  });
});
