// tugboat-lb-agent: runs beside HAProxy in an LB pod (or as a host process against a local
// HAProxy), applies the configuration the controller renders, and reports what it applied.
//
//   tugboat-lb-agent --configmap <namespace>/<name> [--kubeconfig <file>] [--config-dir <dir>] --work-dir <dir>
//   tugboat-lb-agent --config-dir <mounted ConfigMap dir> --work-dir <dir>
//
// In a pod both are given: the API first (no kubelet delay), the mounted directory while the API
// cannot be reached or refuses the agent (fallback.ts says when, and which mounted versions are
// safe to apply). --report-pod writes the applied hash (and any refusal) as annotations on the
// agent's own pod, where the controller reads them. SIGTERM stops HAProxy and exits.
import { parseArgs } from 'node:util';
import { createClient, type Client } from '@tugboat/runtime';
import { startAgent } from './agent.js';
import type { AgentStatus } from './status.js';
import { apiConfigSource } from './api-source.js';
import { fallbackConfigSource } from './fallback-source.js';
import { fileConfigSource } from './file-source.js';
import { serveAgentHttp } from './http.js';
import { podReporter, type PodReporter } from './pod-report.js';
import type { ConfigSource } from './source.js';

const usage = `usage: tugboat-lb-agent [--configmap <namespace>/<name> [--kubeconfig <file>]] [--config-dir <dir>]   (one or both)
  --configmap <ns>/<name>   follow this ConfigMap through the API
  --config-dir <dir>        the same ConfigMap mounted as a volume; with --configmap, the fallback
  --api-grace <seconds>     with both: follow --config-dir after the API has failed this long (default 10; at once on 401/403)
  --work-dir <dir>          where the agent keeps checked and live configurations (default /var/run/tugboat-lb)
  --haproxy <path>          haproxy binary (default: haproxy on PATH)
  --master-socket <path>    HAProxy master CLI socket (default <work-dir>/master.sock)
  --status-file <path>      write the agent status as JSON here after every change
  --report-pod <ns>/<name>  annotate this pod with the applied configuration hash (and refusals)
  --listen <host:port>      agent HTTP endpoint: /metrics /healthz /readyz /status (default 0.0.0.0:9101)
  --poll <seconds>          re-read --config-dir this often even without a change event (default 10)`;

function log(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), msg: message, ...fields })}\n`);
}

function parseFlags<T extends NonNullable<Parameters<typeof parseArgs>[0]>>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    // An unknown or malformed flag is a usage mistake like any other: say so, with the usage.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((e as Error).message);
    throw e;
  }
}

async function main(): Promise<number> {
  const { values } = parseFlags({
    options: {
      configmap: { type: 'string' },
      kubeconfig: { type: 'string' },
      'config-dir': { type: 'string' },
      'api-grace': { type: 'string', default: '10' },
      'work-dir': { type: 'string', default: '/var/run/tugboat-lb' },
      haproxy: { type: 'string' },
      'master-socket': { type: 'string' },
      'status-file': { type: 'string' },
      'report-pod': { type: 'string' },
      listen: { type: 'string', default: '0.0.0.0:9101' },
      poll: { type: 'string', default: '10' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stderr.write(`${usage}\n`);
    return 0;
  }
  const objectRef = (flag: string, text: string | undefined) => {
    const [namespace, name, extra] = (text ?? '').split('/');
    if (!namespace || !name || extra !== undefined) throw new UsageError(`${flag} must be <namespace>/<name>`);
    return { namespace, name };
  };
  let client: Client | undefined;
  const apiClient = async () =>
    (client ??= await createClient({ ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}), userAgent: 'tugboat-lb-agent' }));
  const seconds = (flag: string, text: string, allowZero: boolean) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) throw new UsageError(`${flag} must be a number of seconds${allowZero ? '' : ' above 0'}`);
    return n * 1000;
  };
  const pollMs = seconds('--poll', values.poll, false);
  const graceMs = seconds('--api-grace', values['api-grace'], true);
  const files = values['config-dir'] !== undefined ? fileConfigSource(values['config-dir'], { pollMs }) : undefined;
  let source: ConfigSource | undefined = files;
  if (values.configmap !== undefined) {
    const api = { ...objectRef('--configmap', values.configmap), onError: (err: unknown) => log('configmap watch error', { error: String(err) }) };
    source = files !== undefined ? fallbackConfigSource(await apiClient(), api, files, { graceMs }) : apiConfigSource(await apiClient(), api);
  }
  if (source === undefined) throw new UsageError('give --configmap, --config-dir, or both');
  let reporter: PodReporter | undefined;
  if (values['report-pod'] !== undefined) {
    reporter = podReporter(await apiClient(), objectRef('--report-pod', values['report-pod']), (err) => log('cannot annotate pod', { error: String(err) }));
  }
  const colon = values.listen.lastIndexOf(':');
  const agent = await startAgent({
    source,
    workDir: values['work-dir'],
    ...(values.haproxy !== undefined ? { haproxyBinary: values.haproxy } : {}),
    ...(values['master-socket'] !== undefined ? { masterSocket: values['master-socket'] } : {}),
    ...(values['status-file'] !== undefined ? { statusFile: values['status-file'] } : {}),
    ...(reporter !== undefined ? { onStatus: (s: AgentStatus) => reporter.report(s) } : {}),
    log,
  });
  const http = await serveAgentHttp(agent, values.listen.slice(0, colon), Number(values.listen.slice(colon + 1)));
  log('agent started', { listen: `${values.listen.slice(0, colon)}:${http.port}` });
  const stop = () => void agent.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await agent.done;
  await Promise.race([reporter?.flush(), new Promise((r) => setTimeout(r, 2000))]);
  reporter?.close();
  await http.close();
  await client?.close();
  return agent.status().phase === 'Failed' ? 1 : 0;
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${usage}\n`);
      process.exit(2);
    }
    log('agent failed', { error: String(err) });
    process.exit(1);
  },
);
