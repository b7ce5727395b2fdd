// Real HTTP backends on loopback: each answers with its name and remembers the request headers
// it saw, so tests can tell which member served a request and what the LB added.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  name: string;
  address: string;
  port: number;
  seen: IncomingHttpHeaders[];
  /** Changes what /healthz answers from now on. */
  setHealth(status: number): void;
  close(): Promise<void>;
}

export interface BackendOptions {
  address?: string;
  /** Status answered on /healthz (default 200), to fail health checks on purpose. */
  healthStatus?: number;
}

export async function startBackend(name: string, opts: BackendOptions = {}): Promise<Backend> {
  const address = opts.address ?? '127.0.0.1';
  const seen: IncomingHttpHeaders[] = [];
  let health = opts.healthStatus ?? 200;
  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(health, { 'content-type': 'text/plain' });
      res.end(name);
      return;
    }
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(name);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    name,
    address,
    port: (server.address() as AddressInfo).port,
    seen,
    setHealth: (status) => {
      health = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
