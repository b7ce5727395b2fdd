// Where the client finds the apiserver and its credentials. Parsing kubeconfig files and
// running auth plugins (client certs, bearer tokens, token files, exec plugins, OIDC) is
// delegated to @kubernetes/client-node's KubeConfig; everything else (HTTP, JSON, watches)
// is ours. The order of sources follows controller-runtime: an explicit path, then
// $KUBECONFIG, then in-cluster service account, then ~/.kube/config.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

const IN_CLUSTER_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const IN_CLUSTER_TOKEN = `${IN_CLUSTER_DIR}/token`;

/** TLS material for the connection, in the shape node:tls and undici's `connect` accept. */
export interface TlsOptions {
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  servername?: string;
  rejectUnauthorized?: boolean;
}

export interface ConnectionConfig {
  /** Base URL of the apiserver without a trailing slash; may carry a path prefix. */
  server: string;
  tls: TlsOptions;
  /** Headers every request carries (Authorization); never log these. */
  headers: Record<string, string>;
}

export interface CredentialSource {
  /** Human-readable origin ('file:/path', 'in-cluster', …) for error messages. */
  readonly origin: string;
  /** Current connection settings; cached briefly because auth plugins can be slow. */
  resolve(): Promise<ConnectionConfig>;
  /** Re-reads the source from scratch, e.g. after a 401 when a token or cert was rotated. */
  refresh(): Promise<ConnectionConfig>;
}

export interface KubeconfigOptions {
  /** Path to a kubeconfig file. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Overrides the cluster's server URL (e.g. to go through a local proxy). */
  server?: string;
  /**
   * Use the in-cluster service account explicitly (ignored when `kubeconfig` is given).
   * `root` is prefixed to /var/run/secrets/kubernetes.io/serviceaccount; `host` and `port`
   * replace $KUBERNETES_SERVICE_HOST / $KUBERNETES_SERVICE_PORT.
   */
  inCluster?: InClusterOptions;
}

export interface InClusterOptions {
  root?: string;
  host?: string;
  port?: string;
}

// Long enough to spare a plugin call per request, short enough that a token rotated on disk
// is picked up before it can expire; a 401 refreshes at once regardless.
const RESOLVE_TTL_MS = 30_000;

function loadInCluster(kc: KubeConfig, ic: InClusterOptions): void {
  const root = ic.root ?? '';
  if (!existsSync(`${root}${IN_CLUSTER_TOKEN}`)) throw new Error(`in-cluster: no service account token at ${root}${IN_CLUSTER_TOKEN}`);
  kc.loadFromCluster(root);
  if (ic.host === undefined && ic.port === undefined) return;
  // loadFromCluster only reads host and port from the environment; build the same URL from ours.
  const host = ic.host ?? process.env.KUBERNETES_SERVICE_HOST;
  const port = ic.port ?? process.env.KUBERNETES_SERVICE_PORT;
  if (host === undefined || port === undefined) throw new Error('in-cluster: no apiserver host/port (set KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT)');
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  kc.clusters = kc.clusters.map((c) => ({ ...c, server }));
}

function loadKubeConfig(opts: KubeconfigOptions): { kc: KubeConfig; origin: string } {
  const kc = new KubeConfig();
  let origin: string;
  if (opts.kubeconfig !== undefined) {
    kc.loadFromFile(opts.kubeconfig);
    origin = `file:${opts.kubeconfig}`;
  } else if (opts.inCluster !== undefined) {
    loadInCluster(kc, opts.inCluster);
    origin = `in-cluster:${opts.inCluster.root ?? ''}${IN_CLUSTER_DIR}`;
  } else if (process.env.KUBECONFIG !== undefined && process.env.KUBECONFIG !== '') {
    // loadFromDefault merges the colon-separated list the way kubectl does.
    kc.loadFromDefault();
    origin = `KUBECONFIG=${process.env.KUBECONFIG}`;
  } else if (process.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(IN_CLUSTER_TOKEN)) {
    kc.loadFromCluster();
    origin = 'in-cluster';
  } else if (existsSync(join(homedir(), '.kube', 'config'))) {
    kc.loadFromFile(join(homedir(), '.kube', 'config'));
    origin = 'file:~/.kube/config';
  } else {
    throw new Error('no Kubernetes configuration: pass a kubeconfig path, set KUBECONFIG, run in a pod, or create ~/.kube/config');
  }
  if (opts.context !== undefined) {
    if (kc.getContextObject(opts.context) === null) throw new Error(`kubeconfig (${origin}) has no context "${opts.context}"`);
    kc.setCurrentContext(opts.context);
  }
  return { kc, origin };
}

interface AppliedOptions {
  ca?: Buffer | string | (Buffer | string)[];
  cert?: Buffer | string | (Buffer | string)[];
  key?: Buffer | string | (Buffer | string)[];
  servername?: string;
  rejectUnauthorized?: boolean;
  auth?: string;
  headers?: Record<string, string | string[] | number | undefined>;
}

function single(v: Buffer | string | (Buffer | string)[] | undefined): Buffer | string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function connectionFrom(kc: KubeConfig, origin: string, serverOverride: string | undefined): Promise<ConnectionConfig> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig (${origin}): the current context names no cluster`);
  const applied: AppliedOptions = {};
  await kc.applyToHTTPSOptions(applied);
  const tls: TlsOptions = {};
  const ca = single(applied.ca);
  const cert = single(applied.cert);
  const key = single(applied.key);
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (applied.servername !== undefined) tls.servername = applied.servername;
  if (applied.rejectUnauthorized !== undefined) tls.rejectUnauthorized = applied.rejectUnauthorized;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(applied.headers ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  if (applied.auth !== undefined && headers.Authorization === undefined) {
    headers.Authorization = `Basic ${Buffer.from(applied.auth).toString('base64')}`;
  }
  const server = (serverOverride ?? cluster.server).replace(/\/+$/, '');
  return { server, tls, headers };
}

/** Loads the configuration now (so a missing file fails at startup) and hands out credentials. */
export function loadCredentials(opts: KubeconfigOptions = {}): CredentialSource {
  let { kc, origin } = loadKubeConfig(opts);
  let cached: { at: number; conn: ConnectionConfig } | undefined;
  let inflight: Promise<ConnectionConfig> | undefined;
  const fetchNow = () => {
    inflight ??= connectionFrom(kc, origin, opts.server)
      .then((conn) => {
        cached = { at: Date.now(), conn };
        return conn;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
  return {
    get origin() {
      return origin;
    },
    async resolve() {
      if (cached && Date.now() - cached.at < RESOLVE_TTL_MS) return cached.conn;
      return fetchNow();
    },
    async refresh() {
      if (inflight) await inflight.catch(() => undefined);
      ({ kc, origin } = loadKubeConfig(opts));
      cached = undefined;
      return fetchNow();
    },
  };
}
