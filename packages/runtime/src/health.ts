// The probe and metrics HTTP endpoints, in the shape kubelet and Prometheus expect:
//   /healthz  liveness: is the process able to make progress? (failing it restarts the pod)
//   /readyz   readiness: are caches synced and watches alive? (failing it takes the pod out of
//             Service endpoints and holds a rolling update)
//   /metrics  the Prometheus text format
// Each check is a named function; `?verbose` lists them like the apiserver's own /readyz.
// A single check can be queried as /readyz/<name>.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exposition, type Registry } from './metrics.js';

/** Resolves (or returns) to pass; throws or returns a string to fail with that reason. */
export type Check = () => void | string | undefined | Promise<void | string | undefined>;

export interface ProbeServerOptions {
  port: number;
  /** Default `0.0.0.0` (probes come from the node, not from loopback). */
  host?: string;
  /** Serve /metrics from this registry. */
  metrics?: Registry;
  /** Serve /healthz from these checks. */
  healthz?: ReadonlyMap<string, Check>;
  /** Serve /readyz from these checks. */
  readyz?: ReadonlyMap<string, Check>;
}

export interface ProbeServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

async function runCheck(check: Check): Promise<string | undefined> {
  try {
    const r = await check();
    return typeof r === 'string' && r !== '' ? r : undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function serveChecks(req: IncomingMessage, res: ServerResponse, checks: ReadonlyMap<string, Check>, sub: string | undefined, verbose: boolean) {
  const selected = sub ? [...checks].filter(([n]) => n === sub) : [...checks];
  if (sub && selected.length === 0) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`no check named ${sub}\n`);
    return;
  }
  const results = await Promise.all(selected.map(async ([name, check]) => ({ name, failure: await runCheck(check) })));
  const failed = results.filter((r) => r.failure !== undefined);
  const ok = failed.length === 0;
  let body: string;
  if (verbose || !ok) {
    const lines = results.map((r) => (r.failure === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.failure}`));
    lines.push(ok ? `${req.url?.split('?')[0]?.slice(1) ?? 'check'} check passed` : `${req.url?.split('?')[0]?.slice(1) ?? 'check'} check failed`);
    body = `${lines.join('\n')}\n`;
  } else body = 'ok';
  res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(body);
}

export async function startProbeServer(opts: ProbeServerOptions): Promise<ProbeServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://probe');
    const [, top, sub] = url.pathname.split('/');
    const verbose = url.searchParams.has('verbose');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (top === 'metrics' && !sub && opts.metrics) {
      res.writeHead(200, { 'content-type': exposition.contentType }).end(opts.metrics.expose());
    } else if (top === 'healthz' && opts.healthz) {
      await serveChecks(req, res, opts.healthz, sub, verbose);
    } else if (top === 'readyz' && opts.readyz) {
      await serveChecks(req, res, opts.readyz, sub, verbose);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    });
  });
  // Probes are short; do not let a stuck client hold a socket forever.
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
