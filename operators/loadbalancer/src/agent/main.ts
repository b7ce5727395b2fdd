// tugboat-lb-agent: runs beside HAProxy in an LB pod (or as a host process against a local
// HAProxy), applies the configuration the controller renders, and reports what it applied.
//
//   tugboat-lb-agent --configmap <namespace>/<name> [--kubeconfig <file>] --work-dir <dir>
//   tugboat-lb-agent --config-dir <mounted ConfigMap dir> --work-dir <dir>
//
// In a pod, --configmap is the default choice (no kubelet delay); the mounted directory is the
// fallback when the pod has no API access. SIGTERM stops HAProxy and exits.
import { parseArgs } from 'node:util';
import { createClient } from '@tugboat/runtime';
import { startAgent } from './agent.js';
import { apiConfigSource } from './api-source.js';
import { fileConfigSource } from './file-source.js';
import { serveAgentHttp } from './http.js';
import type { ConfigSource } from './source.js';

const usage = `usage: tugboat-lb-agent (--configmap <namespace>/<name> [--kubeconfig <file>] | --config-dir <dir>)
  --work-dir <dir>          where the agent keeps checked and live configurations (default /var/run/tugboat-lb)
  --haproxy <path>          haproxy binary (default: haproxy on PATH)
  --master-socket <path>    HAProxy master CLI socket (default <work-dir>/master.sock)
  --status-file <path>      write the agent status as JSON here after every change
  --listen <host:port>      agent HTTP endpoint: /metrics /healthz /readyz /status (default 0.0.0.0:9101)
  --poll <seconds>          re-read --config-dir this often even without a change event (default 10)`;

function log(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), msg: message, ...fields })}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      configmap: { type: 'string' },
      kubeconfig: { type: 'string' },
      'config-dir': { type: 'string' },
      'work-dir': { type: 'string', default: '/var/run/tugboat-lb' },
      haproxy: { type: 'string' },
      'master-socket': { type: 'string' },
      'status-file': { type: 'string' },
      listen: { type: 'string', default: '0.0.0.0:9101' },
      poll: { type: 'string', default: '10' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || (values.configmap === undefined) === (values['config-dir'] === undefined)) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  let source: ConfigSource;
  if (values.configmap !== undefined) {
    const [namespace, name] = values.configmap.split('/');
    if (!namespace || !name) {
      process.stderr.write(`--configmap must be <namespace>/<name>\n${usage}\n`);
      return 2;
    }
    const client = await createClient({ ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}), userAgent: 'tugboat-lb-agent' });
    source = apiConfigSource(client, { namespace, name, onError: (err) => log('configmap watch error', { error: String(err) }) });
  } else {
    source = fileConfigSource(values['config-dir'] ?? '', { pollMs: Number(values.poll) * 1000 });
  }
  const colon = values.listen.lastIndexOf(':');
  const agent = await startAgent({
    source,
    workDir: values['work-dir'],
    ...(values.haproxy !== undefined ? { haproxyBinary: values.haproxy } : {}),
    ...(values['master-socket'] !== undefined ? { masterSocket: values['master-socket'] } : {}),
    ...(values['status-file'] !== undefined ? { statusFile: values['status-file'] } : {}),
    log,
  });
  const http = await serveAgentHttp(agent, values.listen.slice(0, colon), Number(values.listen.slice(colon + 1)));
  log('agent started', { listen: `${values.listen.slice(0, colon)}:${http.port}` });
  const stop = () => void agent.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await agent.done;
  await http.close();
  return agent.status().phase === 'Failed' ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log('agent failed', { error: String(err) });
    process.exit(1);
  },
);
