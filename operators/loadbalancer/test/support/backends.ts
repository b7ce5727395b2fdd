// Real HTTP backends on loopback: each answers with its name and remembers the request headers
// it saw, so tests can tell which member served a request and what the LB added.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  name: string;
  address: string;
  port: number;
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startBackend(name: string, address = '127.0.0.1'): Promise<Backend> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
