// `tugboat cluster up|status|down`: a persistent local control plane for demos and manual
// work. Its state lives in $TUGBOAT_HOME/cluster (default ~/.tugboat/cluster).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ensureBinaries, startControlPlane, stopPersistent, type ControlPlaneState } from '@tugboat/testenv';

export function clusterDir(): string {
  return join(process.env['TUGBOAT_HOME'] ?? join(homedir(), '.tugboat'), 'cluster');
}

function readState(): ControlPlaneState | undefined {
  const f = join(clusterDir(), 'state.json');
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as ControlPlaneState;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function apiReady(st: ControlPlaneState): Promise<boolean> {
  try {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(st.kubeconfigPath);
    const user = kc.getCurrentUser();
    const cluster = kc.getCurrentCluster();
    const { request } = await import('node:https');
    const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
    return await new Promise<boolean>((ok) => {
      const req = request(
        `${st.server}/readyz`,
        { ca: b64(cluster?.caData), cert: b64(user?.certData), key: b64(user?.keyData), timeout: 5000 },
        (res) => {
          res.resume();
          ok(res.statusCode === 200);
        },
      );
      req.on('error', () => ok(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  } catch {
    return false;
  }
}

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('a local Kubernetes v1.37.2 control plane (etcd, apiserver, controller-manager, scheduler, kwok)');

  cluster
    .command('up')
    .description('start the local cluster (idempotent); prints KUBECONFIG=<path>')
    .option('--nodes <n>', 'fake kwok nodes', '3')
    .action(async (o: { nodes: string }) => {
      const existing = readState();
      if (existing && Object.values(existing.pgids).every(alive) && (await apiReady(existing))) {
        process.stderr.write(`cluster already running at ${existing.server}\n`);
        process.stdout.write(`KUBECONFIG=${existing.kubeconfigPath}\n`);
        return;
      }
      if (existing) await stopPersistent(clusterDir());
      await ensureBinaries();
      const started = Date.now();
      process.stderr.write('starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback...\n');
      const cp = await startControlPlane({ persistent: true, dir: clusterDir(), controllers: true, nodes: Number(o.nodes) });
      process.stderr.write(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)}s at ${cp.server}\n`);
      process.stdout.write(`KUBECONFIG=${cp.kubeconfigPath}\n`);
    });

  cluster
    .command('status')
    .description('show whether the local cluster and each component are running')
    .action(async () => {
      const st = readState();
      if (!st) {
        process.stdout.write('no local cluster (run `npx tugboat cluster up`)\n');
        process.exitCode = 1;
        return;
      }
      const ready = await apiReady(st);
      process.stdout.write(`server      ${st.server} (${ready ? 'ready' : 'NOT READY'})\nKUBECONFIG=${st.kubeconfigPath}\n`);
      for (const [name, pid] of Object.entries(st.pgids)) {
        process.stdout.write(`${name.padEnd(24)} pid ${String(pid).padEnd(8)} ${alive(pid) ? 'running' : 'STOPPED'}\n`);
      }
      if (!ready) process.exitCode = 1;
    });

  cluster
    .command('down')
    .description('stop every process of the local cluster and remove its files')
    .action(async () => {
      const stopped = await stopPersistent(clusterDir());
      process.stdout.write(stopped ? 'cluster stopped\n' : 'no local cluster was running\n');
    });
}
