// The agent's HTTP endpoint: /metrics (its own), /healthz (the process lives), /readyz (HAProxy
// runs an applied configuration: a pod is only worth traffic once this is true; the body names
// the configuration source), /status (JSON).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exposition } from '@tugboat/runtime/metrics';
import type { Agent } from './agent.js';

export interface AgentHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function serveAgentHttp(agent: Agent, host: string, port: number): Promise<AgentHttp> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': exposition.contentType });
      res.end(agent.registry.expose());
    } else if (path === '/healthz') {
      const failed = agent.status().phase === 'Failed';
      res.writeHead(failed ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(failed ? 'failed\n' : 'ok\n');
    } else if (path === '/readyz') {
      const s = agent.status();
      const ready = s.phase === 'Running' && s.appliedHash !== undefined;
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      // Serving from the mounted files is still serving: the source is said, not judged.
      const from = s.source !== undefined ? ` source=${s.source.active}` : '';
      res.end(ready ? `ok ${s.appliedHash}${from}\n` : `not ready: ${s.phase}${from}\n`);
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(agent.status())}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
