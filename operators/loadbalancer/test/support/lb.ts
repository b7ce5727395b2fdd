// One load balancer's data plane on loopback for a test: a random 127/8 address, a mounted-
// ConfigMap style directory, and tugboat-lb-agent (in process) running a real HAProxy.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type Agent } from '../../src/agent/agent.js';
import { fileConfigSource } from '../../src/agent/file-source.js';
import type { ConfigSource } from '../../src/agent/source.js';
import type { AgentStatus } from '../../src/agent/status.js';
import { renderHaproxyConfig, type RenderInput, type RenderedConfig } from '../../src/render/haproxy.js';
import type { LoadBalancerSpec } from '../../src/api/loadbalancer.js';
import { builtinClassSpec } from '../../src/api/loadbalancerclass.js';
import { publishConfigMapDir } from './configmap-dir.js';
import { waitFor } from './http.js';

export function randomLoopback(): string {
  const b = () => Math.floor(Math.random() * 250) + 2;
  return `127.${b()}.${b()}.${b()}`;
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestLb {
  address: string;
  statsPort: number;
  dir: string;
  configDir: string;
  adminSocket: string;
  masterSocket: string;
  agent: Agent;
  statuses: AgentStatus[];
  logs: string[];
  render(spec: LoadBalancerSpec, over?: Partial<RenderInput>): RenderedConfig;
  /** Publishes files as a kubelet would and waits until the agent has handled them. */
  publish(files: Record<string, string>): Promise<AgentStatus>;
  /** Waits until the agent reports `hash` as applied. */
  applied(hash: string): Promise<AgentStatus>;
  close(): Promise<void>;
}

export async function startTestLb(opts: { source?: (dir: string) => ConfigSource; onStatus?: (s: AgentStatus) => void } = {}): Promise<TestLb> {
  const address = randomLoopback();
  const dir = await mkdtemp(join(tmpdir(), 'tugboat-lb-'));
  const configDir = join(dir, 'config');
  const statsPort = await freePort(address);
  const adminSocket = join(dir, 'admin.sock');
  const masterSocket = join(dir, 'work', 'master.sock');
  const statuses: AgentStatus[] = [];
  const logs: string[] = [];
  const agent = await startAgent({
    source: opts.source ? opts.source(configDir) : fileConfigSource(configDir, { pollMs: 1000, settleMs: 20 }),
    workDir: join(dir, 'work'),
    masterSocket,
    statusFile: join(dir, 'status.json'),
    onStatus: (s) => {
      statuses.push(s);
      opts.onStatus?.(s);
    },
    log: (m, f) => logs.push(`${m} ${JSON.stringify(f ?? {})}`),
  });
  const lb: TestLb = {
    address,
    statsPort,
    dir,
    configDir,
    adminSocket,
    masterSocket,
    agent,
    statuses,
    logs,
    render: (spec, over = {}) =>
      renderHaproxyConfig({
        namespace: 'test',
        name: 'lb',
        spec,
        // Small maxconn: a test host's open-file limit is lower than a pod's.
        classSpec: { ...builtinClassSpec, global: { ...builtinClassSpec.global, hardStopAfter: '5s' }, sizes: { small: { cpu: '1', memory: '64Mi', maxConnections: 2000 } } },
        bindAddresses: [address],
        runtime: { adminSocket, statsAddress: address, statsPort },
        ...over,
      }),
    async publish(files) {
      const before = statuses.length;
      await publishConfigMapDir(configDir, files);
      return waitFor('the agent to handle the new configuration', () => (statuses.length > before ? statuses.at(-1) : undefined));
    },
    applied: (hash) => waitFor(`configuration ${hash.slice(0, 12)} to be applied`, () => {
      const s = agent.status();
      return s.appliedHash === hash ? s : undefined;
    }),
    async close() {
      await agent.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return lb;
}
