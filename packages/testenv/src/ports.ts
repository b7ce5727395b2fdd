import { createServer } from 'node:net';

/**
 * Asks the kernel for a free loopback port. The port is released before the caller binds it,
 * so two callers could race; ports are taken from the ephemeral range where that is rare, and
 * components that fail to bind are restarted on a new port by their starters.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}
