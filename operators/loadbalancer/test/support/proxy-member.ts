// A TCP member that expects a PROXY protocol v2 header (the binary one), parses the source
// address out of it, and answers with what it read: proof that the LB sent it, and correctly.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';

const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export interface ProxyMember {
  port: number;
  close(): Promise<void>;
}

export async function startProxyV2Member(): Promise<ProxyMember> {
  const server: Server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 16) return;
      if (!buf.subarray(0, 12).equals(signature)) {
        socket.end('no PROXY v2 header\n');
        return;
      }
      const len = buf.readUInt16BE(14);
      if (buf.length < 16 + len) return;
      const family = buf[13];
      // 0x11: TCP over IPv4; addresses follow as src(4) dst(4) srcport(2) dstport(2).
      const src = family === 0x11 ? [...buf.subarray(16, 20)].join('.') : `family ${family}`;
      socket.end(`proxy-v2 from ${src}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
