// A real Kubernetes control plane on loopback: etcd + kube-apiserver, and on request
// kube-controller-manager, kube-scheduler and kwok with fake nodes so Deployments' pods get
// scheduled and become Ready. Every component listens on a free 127.0.0.1 port, so several
// control planes can run side by side.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinaries, versions, type Binaries } from './binaries.js';
import { httpPost, httpsRequest, type TlsIdentity } from './http.js';
import { renderKubeconfig } from './kubeconfig.js';
import { createCA, createSigningKey, type CertificateAuthority } from './pki.js';
import { freePort } from './ports.js';
import { startProcess, waitFor, type ManagedProcess } from './process.js';
import { startReaper, type Reaper } from './reaper.js';


export interface ControlPlaneOptions {
  /** Also run kube-controller-manager, kube-scheduler and kwok (GC, Deployments, pods reaching Ready). */
  controllers?: boolean;
  /** Fake kwok nodes to create (implies controllers). Default 1 when controllers is on. */
  nodes?: number;
  /** Working directory; a fresh temp dir by default. */
  dir?: string;
  /** Keep running after this process exits (the CLI's `cluster up`). Default false. */
  persistent?: boolean;
  /** Extra kube-apiserver flags, e.g. ['--feature-gates=...']. */
  apiserverArgs?: string[];
}

export interface ControlPlaneState {
  dir: string;
  server: string;
  kubeconfigPath: string;
  etcdEndpoint: string;
  pgids: Record<string, number>;
}

export interface ControlPlane {
  readonly dir: string;
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly etcdEndpoint: string;
  readonly ca: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly version: string;
  kubectl(args: string[], opts?: { input?: string; kubeconfig?: string }): Promise<string>;
  /** Creates a user authenticated by a client cert (no RBAC bindings) and returns its kubeconfig path. */
  addUser(name: string, groups?: string[]): Promise<string>;
  restartApiServer(): Promise<void>;
  /** Compacts etcd to its current revision so older resourceVersions answer 410 Gone. */
  compactEtcd(): Promise<number>;
  state(): ControlPlaneState;
  stop(): Promise<void>;
}

interface Ctx {
  dir: string;
  bins: Binaries;
  ca: CertificateAuthority;
  attached: boolean;
}

async function startEtcd(c: Ctx): Promise<{ proc: ManagedProcess; endpoint: string }> {
  const client = await freePort();
  const peer = await freePort();
  const endpoint = `http://127.0.0.1:${client}`;
  const proc = startProcess({
    name: 'etcd',
    command: c.bins.etcd,
    attached: c.attached,
    logFile: join(c.dir, 'etcd.log'),
    args: [
      '--name=node0',
      `--data-dir=${join(c.dir, 'etcd-data')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=node0=http://127.0.0.1:${peer}`,
      '--listen-metrics-urls=',
      // Tests never need durability across machine crashes; fsync dominates etcd latency.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=8589934592',
      '--log-level=warn',
    ],
  });
  await waitFor('etcd health', async () => (await httpPost(`${endpoint}/v3/maintenance/status`, {})).status === 200, {
    process: proc,
    timeoutMs: 30_000,
  });
  return { proc, endpoint };
}

function apiserverArgs(c: Ctx, o: { port: number; etcd: string; certs: string; controllers: boolean; extra: string[] }): string[] {
  return [
    `--etcd-servers=${o.etcd}`,
    `--secure-port=${o.port}`,
    '--bind-address=127.0.0.1',
    // A loopback bind makes the apiserver look for a default-route interface otherwise,
    // which fails on hosts without a network.
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--cert-dir=${o.certs}`,
    `--tls-cert-file=${join(o.certs, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(o.certs, 'apiserver.key')}`,
    `--client-ca-file=${join(o.certs, 'ca.crt')}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=https://127.0.0.1:${o.port}`,
    `--service-account-key-file=${join(o.certs, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(o.certs, 'sa.key')}`,
    // Without a controller-manager nothing creates service-account tokens, so pods would be
    // refused by the ServiceAccount admission plugin.
    ...(o.controllers ? [] : ['--disable-admission-plugins=ServiceAccount']),
    '--v=1',
    ...o.extra,
  ];
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bins = requireBinaries();
  const controllers = opts.controllers === true || (opts.nodes ?? 0) > 0;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tugboat-cp-'));
  mkdirSync(dir, { recursive: true });
  const attached = opts.persistent !== true;
  const reaper: Reaper | undefined = attached ? startReaper(join(dir, 'reaper.json')) : undefined;
  const procs = new Map<string, ManagedProcess>();
  const track = (p: ManagedProcess) => {
    procs.set(p.name, p);
    reaper?.update([...procs.values()].map((x) => x.pid), opts.dir ? [] : [dir]);
  };
  const stopAll = async () => {
    for (const name of ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd']) {
      await procs.get(name)?.stop();
    }
    procs.clear();
  };

  try {
    const ca = await createCA();
    const c: Ctx = { dir, bins, ca, attached };
    const certs = join(dir, 'pki');
    mkdirSync(certs, { recursive: true });
    const serving = await ca.issue({
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ips: ['127.0.0.1', '10.0.0.1'],
      server: true,
    });
    const admin = await ca.issue({ commonName: 'tugboat-admin', organizations: ['system:masters'], client: true });
    const sa = await createSigningKey();
    writeFileSync(join(certs, 'ca.crt'), ca.cert);
    writeFileSync(join(certs, 'ca.key'), ca.key, { mode: 0o600 });
    writeFileSync(join(certs, 'apiserver.crt'), serving.cert);
    writeFileSync(join(certs, 'apiserver.key'), serving.key, { mode: 0o600 });
    writeFileSync(join(certs, 'sa.key'), sa.privateKey, { mode: 0o600 });
    writeFileSync(join(certs, 'sa.pub'), sa.publicKey);

    const etcd = await startEtcd(c);
    track(etcd.proc);

    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, renderKubeconfig({ server, ca: ca.cert, user: 'tugboat-admin', cert: admin.cert, key: admin.key }), {
      mode: 0o600,
    });
    const id: TlsIdentity = { ca: ca.cert, cert: admin.cert, key: admin.key };
    const args = apiserverArgs(c, { port, etcd: etcd.endpoint, certs, controllers, extra: opts.apiserverArgs ?? [] });

    const startApiserver = async () => {
      const p = startProcess({ name: 'kube-apiserver', command: bins.kubeApiserver, args, attached, logFile: join(dir, 'kube-apiserver.log') });
      track(p);
      await waitFor('kube-apiserver /readyz', async () => (await httpsRequest(`${server}/readyz`, id)).status === 200, {
        process: p,
        timeoutMs: 120_000,
        intervalMs: 250,
      });
    };
    await startApiserver();

    if (controllers) {
      track(
        startProcess({
          name: 'kube-controller-manager',
          command: bins.kubeControllerManager,
          attached,
          logFile: join(dir, 'kube-controller-manager.log'),
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            `--service-account-private-key-file=${join(certs, 'sa.key')}`,
            `--root-ca-file=${join(certs, 'ca.crt')}`,
            '--use-service-account-credentials=true',
            '--leader-elect=false',
            '--bind-address=127.0.0.1',
            `--secure-port=${await freePort()}`,
            '--controllers=*',
            '--v=1',
          ],
        }),
      );
      track(
        startProcess({
          name: 'kube-scheduler',
          command: bins.kubeScheduler,
          attached,
          logFile: join(dir, 'kube-scheduler.log'),
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            '--leader-elect=false',
            '--bind-address=127.0.0.1',
            `--secure-port=${await freePort()}`,
            '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
            '--v=1',
          ],
        }),
      );
      const kwokConfig = join(dir, 'kwok.yaml');
      const stages = ['node-initialize', 'node-heartbeat-with-lease', 'pod-ready', 'pod-complete', 'pod-delete']
        .map((s) => readFileSync(join(bins.kwokStages, `${s}.yaml`), 'utf8'))
        .join('\n---\n');
      writeFileSync(kwokConfig, stages);
      track(
        startProcess({
          name: 'kwok',
          command: bins.kwok,
          attached,
          logFile: join(dir, 'kwok.log'),
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            `--config=${kwokConfig}`,
            '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
            `--server-address=127.0.0.1:${await freePort()}`,
            '--node-ip=127.0.0.1',
            '--cidr=10.244.0.0/16',
          ],
        }),
      );
      const nodeCount = opts.nodes ?? 1;
      for (let i = 0; i < nodeCount; i++) {
        const r = await httpsRequest(`${server}/api/v1/nodes`, id, 'POST', fakeNode(`kwok-node-${i}`));
        if (r.status !== 201 && r.status !== 409) throw new Error(`creating fake node: ${r.status} ${r.body}`);
      }
      await waitFor(
        `${nodeCount} kwok node(s) Ready`,
        async () => {
          const r = await httpsRequest(`${server}/api/v1/nodes`, id);
          const nodes = (JSON.parse(r.body) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }).items;
          return nodes.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length >= nodeCount;
        },
        { timeoutMs: 60_000, process: procs.get('kwok') },
      );
      // Pods of the default service account need its token controller to have run.
      await waitFor('default service account', async () => (await httpsRequest(`${server}/api/v1/namespaces/default/serviceaccounts/default`, id)).status === 200, {
        timeoutMs: 60_000,
        process: procs.get('kube-controller-manager'),
      });
    }

    const kubectl = async (a: string[], o: { input?: string; kubeconfig?: string } = {}) => {
      const child = execFile(bins.kubectl, [`--kubeconfig=${o.kubeconfig ?? kubeconfigPath}`, ...a], { maxBuffer: 64 << 20 });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (d: Buffer) => out.push(Buffer.from(d)));
      child.stderr?.on('data', (d: Buffer) => err.push(Buffer.from(d)));
      if (o.input !== undefined) child.stdin?.end(o.input);
      else child.stdin?.end();
      const code = await new Promise<number>((ok) => child.on('close', (x) => ok(x ?? 1)));
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        const e = new Error(`kubectl ${a.join(' ')} exited ${code}: ${stderr.trim()}`) as Error & { stderr: string; stdout: string };
        e.stderr = stderr;
        e.stdout = stdout;
        throw e;
      }
      return stdout;
    };

    const state = (): ControlPlaneState => ({
      dir,
      server,
      kubeconfigPath,
      etcdEndpoint: etcd.endpoint,
      pgids: Object.fromEntries([...procs.entries()].map(([n, p]) => [n, p.pid])),
    });
    if (!attached) writeFileSync(join(dir, 'state.json'), JSON.stringify(state(), null, 2));

    return {
      dir,
      server,
      kubeconfigPath,
      etcdEndpoint: etcd.endpoint,
      ca: ca.cert,
      clientCert: admin.cert,
      clientKey: admin.key,
      version: versions.kubernetes,
      kubectl,
      async addUser(name, groups = []) {
        const u = await ca.issue({ commonName: name, organizations: groups, client: true });
        const path = join(dir, `kubeconfig-${name.replace(/[^a-zA-Z0-9_.-]/g, '_')}`);
        writeFileSync(path, renderKubeconfig({ server, ca: ca.cert, user: name, cert: u.cert, key: u.key }), { mode: 0o600 });
        return path;
      },
      async restartApiServer() {
        await procs.get('kube-apiserver')?.stop();
        await startApiserver();
      },
      async compactEtcd() {
        const r = await httpPost(`${etcd.endpoint}/v3/kv/range`, { key: Buffer.from('/').toString('base64'), limit: 1 });
        const rev = Number((JSON.parse(r.body) as { header: { revision: string } }).header.revision);
        const cr = await httpPost(`${etcd.endpoint}/v3/kv/compaction`, { revision: String(rev), physical: true });
        if (cr.status !== 200) throw new Error(`etcd compaction failed: ${cr.status} ${cr.body}`);
        return rev;
      },
      state,
      async stop() {
        await stopAll();
        reaper?.dismiss();
        if (!opts.dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stopAll();
    reaper?.dismiss();
    throw e;
  }
}

function fakeNode(name: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      // kwok manages nodes with this annotation. No taint: every node in a testenv cluster is
      // fake, so workloads need no special toleration to land on one.
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '64', memory: '256Gi', pods: '1000' },
      capacity: { cpu: '64', memory: '256Gi', pods: '1000' },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake', kubeProxyVersion: 'fake' },
    },
  };
}

/** Stops a persistent control plane recorded in `<dir>/state.json` (the CLI's `cluster down`). */
export async function stopPersistent(dir: string): Promise<boolean> {
  let st: ControlPlaneState;
  try {
    st = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
  } catch {
    return false;
  }
  // Demo steps start operators and data-plane processes beside the cluster and record their
  // process groups as <dir>/pids/<name>.pid, so `cluster down` stops them too.
  const pidDir = join(dir, 'pids');
  const extra = existsSync(pidDir)
    ? readdirSync(pidDir)
        .filter((f) => f.endsWith('.pid'))
        .map((f) => Number(readFileSync(join(pidDir, f), 'utf8').trim()))
        .filter((n) => Number.isInteger(n) && n > 1)
    : [];
  const all = [...extra, ...Object.values(st.pgids)];
  for (const pid of all) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  await new Promise((r) => setTimeout(r, 1500));
  for (const pid of all) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  // Demo steps may also leave host state that is not a process (a network namespace, say) and
  // record how to undo it as executables in <dir>/cleanup/.
  const cleanupDir = join(dir, 'cleanup');
  if (existsSync(cleanupDir)) {
    for (const f of readdirSync(cleanupDir).sort()) {
      spawnSync(join(cleanupDir, f), [], { stdio: 'ignore', timeout: 30_000 });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return true;
}

