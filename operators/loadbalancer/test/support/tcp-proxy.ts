// A TCP relay in front of a real server that a test can break in two ways. cut() resets every
// relayed connection and stops listening: open watches break and new connections are refused,
// as when a dead apiserver or a rejecting network policy cuts a pod off. freeze() keeps every
// connection open and accepts new ones but relays nothing: a half-open path (a dropping
// firewall, a lost route) that no error ever reports. restore() relays again.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  cut(): Promise<void>;
  freeze(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, host = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let server: Server | undefined;
  let frozen = false;
  let port = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = createServer((client) => {
        track(client);
        client.on('error', () => client.destroy());
        if (frozen) {
          client.pause();
          return;
        }
        const upstream = createConnection(target);
        track(upstream);
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        for (const s of pair) {
          s.on('close', () => pairs.delete(pair));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      srv.once('error', reject);
      srv.listen(port, host, () => {
        const addr = srv.address();
        port = typeof addr === 'object' && addr ? addr.port : port;
        server = srv;
        resolve();
      });
    });
  const cut = async () => {
    const srv = server;
    server = undefined;
    frozen = false;
    for (const s of sockets) {
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy();
      }
    }
    sockets.clear();
    pairs.clear();
    if (srv !== undefined) await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    freeze() {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    async restore() {
      // Connections that saw a freeze have lost bytes; the clients must start afresh.
      if (frozen) await cut();
      if (server === undefined) await listen();
    },
    close: cut,
  };
}
