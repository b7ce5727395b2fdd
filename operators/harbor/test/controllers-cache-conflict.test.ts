// Which Registry keeps an External Redis that several name: decided by value, alike on every replica.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistrySpec } from '../src/api/registry.js';
import { cacheEndpoint } from '../src/controllers/registry-index.js';
import { externalCacheConflict } from '../src/controllers/tenant-cache.js';
import { baseSpec } from './fixtures/harbor-input.js';

const spec = RegistrySpec.parse({
  ...baseSpec,
  cache: { mode: 'External', external: { host: 'redis.shared.example', port: 6379, passwordSecretRef: { name: 'r', key: 'password' } } },
});
const user = (namespace: string, uid: string, creationTimestamp: string) => ({ metadata: { name: 'harbor', namespace, uid, creationTimestamp } });

describe('External cache ownership', () => {
  it('lets the first-created Registry keep the Redis and refuses the later ones', () => {
    const users = [user('late', 'u2', '2026-12-01T10:00:05Z'), user('early', 'u1', '2026-12-01T10:00:00Z')];
    assert.equal(externalCacheConflict({ name: 'harbor', namespace: 'early', uid: 'u1', spec }, users), undefined);
    const refused = externalCacheConflict({ name: 'harbor', namespace: 'late', uid: 'u2', spec }, users);
    assert.equal(refused?.status, 'False');
    assert.equal(refused?.reason, 'CacheInUse');
    assert.doesNotMatch(refused?.message ?? '', /early/, "the other tenant's name is not shown");
  });

  it('breaks a creation-time tie by namespace/name, and ignores Dedicated caches and lone users', () => {
    const t = '2026-12-01T10:00:00Z';
    const users = [user('b', 'ub', t), user('a', 'ua', t)];
    assert.equal(externalCacheConflict({ name: 'harbor', namespace: 'a', uid: 'ua', spec }, users), undefined);
    assert.equal(externalCacheConflict({ name: 'harbor', namespace: 'b', uid: 'ub', spec }, users)?.reason, 'CacheInUse');
    assert.equal(externalCacheConflict({ name: 'harbor', namespace: 'b', uid: 'ub', spec }, [user('b', 'ub', t)]), undefined);
    const dedicated = RegistrySpec.parse({ ...baseSpec, cache: { mode: 'Dedicated' } });
    assert.equal(externalCacheConflict({ name: 'harbor', namespace: 'b', uid: 'ub', spec: dedicated }, users), undefined);
  });

  it('keys endpoints case-insensitively by host', () => {
    assert.equal(cacheEndpoint('Redis.Shared.Example', 6379), cacheEndpoint('redis.shared.example', 6379));
    assert.notEqual(cacheEndpoint('redis', 6379), cacheEndpoint('redis', 6380));
  });
});
