// A tenant's cache is its own Redis (rendered as a Deployment by render/cache.ts, or one the user
// runs for this tenant alone), so there is nothing to create on a shared server. What remains is
// checking that the cache answers with the tenant's password: an authenticated PING.
import { createClient } from 'redis';

export interface RedisConnection {
  host: string;
  port: number;
  password?: string;
}

/** Connects, authenticates, PINGs and disconnects; resolves with the reply ("PONG"). */
export async function pingRedis(c: RedisConnection, timeoutMs = 5000): Promise<string> {
  const client = createClient({
    socket: { host: c.host, port: c.port, connectTimeout: timeoutMs, reconnectStrategy: false },
    ...(c.password !== undefined ? { password: c.password } : {}),
  });
  // Errors are reported by the awaited calls below; without a listener they would be thrown
  // again as an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.ping();
  } finally {
    if (client.isOpen) client.destroy();
  }
}
