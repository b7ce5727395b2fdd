// redis.conf of a Registry's dedicated Redis. It includes requirepass, so it is rendered into a
// Secret, not a ConfigMap. No persistence: the cache is rebuilt from the database and storage;
// queued jobs in flight during a Redis restart are retried by Harbor's reaper.
import type { RenderInput } from './input.js';
import { ports } from './endpoints.js';

export function redisConf(input: RenderInput): string {
  const cache = input.registry.spec.cache.dedicated;
  return [
    `port ${ports.redis}`,
    'bind 0.0.0.0',
    'protected-mode yes',
    `requirepass ${input.secrets.redisPassword}`,
    `maxmemory ${cache.maxMemory}`,
    // Only keys with a TTL (Harbor's caches) are evicted; the job queue has none and is kept.
    'maxmemory-policy volatile-lru',
    'save ""',
    'appendonly no',
    'databases 16',
    '',
  ].join('\n');
}
