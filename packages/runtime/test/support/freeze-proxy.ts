// A loopback TCP relay in front of the apiserver that can be frozen: while frozen it forwards
// nothing in either direction and closes nothing, exactly like a connection whose peer vanished
// behind a NAT or a dead load balancer. TLS passes through untouched (the serving certificate
// is for 127.0.0.1, which is also where the relay listens). It injects a network fault; the
// apiserver behind it is the real one.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FreezeProxy {
  /** https://127.0.0.1:<port>, to pass as the client's `server`. */
  readonly url: string;
  /** Stop relaying bytes on every connection, open or new. */
  freeze(): void;
  /** Drop the frozen connections (as their eventual TCP timeout would) and relay again. */
  thaw(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

interface Pair {
  down: Socket;
  up: Socket;
}

export async function startFreezeProxy(target: string): Promise<FreezeProxy> {
  const t = new URL(target);
  const pairs = new Set<Pair>();
  let frozen = false;
  let accepted = 0;

  const relay = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!frozen) to.write(chunk);
    });
    from.on('end', () => {
      if (!frozen) to.end();
    });
  };

  const server: Server = createServer((down) => {
    accepted++;
    const up = connect({ host: t.hostname, port: Number(t.port) });
    const pair = { down, up };
    pairs.add(pair);
    const drop = () => {
      if (frozen) return;
      pairs.delete(pair);
      down.destroy();
      up.destroy();
    };
    down.on('error', drop);
    up.on('error', drop);
    down.on('close', drop);
    up.on('close', drop);
    relay(down, up);
    relay(up, down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy: no address');

  return {
    url: `https://127.0.0.1:${addr.port}`,
    freeze() {
      frozen = true;
    },
    thaw() {
      const stale = [...pairs];
      pairs.clear();
      for (const p of stale) {
        p.down.destroy();
        p.up.destroy();
      }
      frozen = false;
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const p of pairs) {
        p.down.destroy();
        p.up.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
