// tugboat-lb-operator: the load-balancer operator as a process. In a cluster it runs as a
// Deployment with leader election (one replica reconciles, the others stand by warm); on a
// host (the demo) it runs against a kubeconfig, optionally installing its CRDs first.
//
//   tugboat-lb-operator [--kubeconfig <file>] [--namespace tugboat-system] [--install-crds]
//                       [--webhook-port 9443] [--data-plane pods|host --host-run-dir <dir>]
//
// Exits 0 on SIGTERM/SIGINT after in-flight reconciles finish, 1 when leadership is lost (so
// the pod restarts and rejoins as a standby), 2 on bad flags.
import { parseArgs } from 'node:util';
import { createClient, createLogger, isLogLevel } from '@tugboat/runtime';
import { installCrds, loadBalancerCrds } from './controllers/crds.js';
import { defaultAgentImage, startOperator } from './controllers/operator.js';

const usage = `usage: tugboat-lb-operator [flags]
  --kubeconfig <file>         default: $KUBECONFIG, ~/.kube/config, else in-cluster
  --namespace <ns>            Lease, webhook CA Secret and managed NetworkAttachmentDefinitions (default: $POD_NAMESPACE or tugboat-system)
  --leader-elect <bool>       reconcile only while holding the Lease tugboat-lb (default true)
  --metrics-port <port>       /metrics (default 8080; 0 = any free port)
  --health-port <port>        /healthz and /readyz (default 8081)
  --bind-address <addr>       address of the metrics and health servers (default 0.0.0.0)
  --webhook-port <port>       serve the validating webhook here and register it (default: off)
  --webhook-host <addr>       address the webhook listens on (default 127.0.0.1)
  --webhook-url <url>         URL the apiserver calls (default https://<webhook-host>:<port>)
  --agent-image <image>       tugboat-lb-agent image for LB pods (default ${defaultAgentImage})
  --data-plane pods|host      where HAProxy runs: in LB pods, or as host processes (demo) (default pods)
  --host-run-dir <dir>        host data plane: per-LB runtime directories (default /tmp/tugboat-lb)
  --multus auto|true|false    manage NetworkAttachmentDefinitions and the Multus pod annotation (default auto: if the CRD exists)
  --concurrency <n>           LoadBalancer reconciles at once (default 8)
  --install-crds              apply the CRDs (and, with --multus true, Multus's) before starting
  --log-level <level>         debug, info, warn or error (default info)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

function port(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--${name} must be a port number, got ${JSON.stringify(v)}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', default: process.env.POD_NAMESPACE ?? 'tugboat-system' },
      'leader-elect': { type: 'string', default: 'true' },
      'metrics-port': { type: 'string', default: '8080' },
      'health-port': { type: 'string', default: '8081' },
      'bind-address': { type: 'string' },
      'webhook-port': { type: 'string' },
      'webhook-host': { type: 'string', default: '127.0.0.1' },
      'webhook-url': { type: 'string' },
      'agent-image': { type: 'string' },
      'data-plane': { type: 'string', default: 'pods' },
      'host-run-dir': { type: 'string' },
      multus: { type: 'string', default: 'auto' },
      concurrency: { type: 'string', default: '8' },
      'install-crds': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: process.env.TUGBOAT_LOG_LEVEL ?? 'info' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const level = values['log-level'];
  if (!isLogLevel(level)) fail(`--log-level must be debug, info, warn or error, got ${JSON.stringify(level)}`);
  const dataPlane = values['data-plane'];
  if (dataPlane !== 'pods' && dataPlane !== 'host') fail(`--data-plane must be pods or host, got ${JSON.stringify(dataPlane)}`);
  if (!['auto', 'true', 'false'].includes(values.multus)) fail(`--multus must be auto, true or false, got ${JSON.stringify(values.multus)}`);
  if (!['true', 'false'].includes(values['leader-elect'])) fail(`--leader-elect must be true or false`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) fail('--concurrency must be a positive integer');
  const log = createLogger({ level, fields: { component: 'tugboat-lb-operator' } });

  if (values['install-crds']) {
    const client = await createClient({ ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}), userAgent: 'tugboat-lb-operator' });
    await installCrds(client, loadBalancerCrds({ multus: values.multus === 'true' }));
    await client.close();
    log.info('CRDs installed');
  }

  const webhookPort = port('webhook-port', values['webhook-port']);
  const op = await startOperator({
    ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
    namespace: values.namespace,
    leaderElection: values['leader-elect'] === 'true' ? {} : false,
    ...(port('metrics-port', values['metrics-port']) !== undefined ? { metricsPort: port('metrics-port', values['metrics-port']) } : {}),
    ...(port('health-port', values['health-port']) !== undefined ? { healthPort: port('health-port', values['health-port']) } : {}),
    ...(values['bind-address'] !== undefined ? { bindAddress: values['bind-address'] } : {}),
    ...(webhookPort !== undefined
      ? { webhook: { port: webhookPort, host: values['webhook-host'], ...(values['webhook-url'] !== undefined ? { url: values['webhook-url'] } : {}) } }
      : {}),
    ...(values['agent-image'] !== undefined ? { agentImage: values['agent-image'] } : {}),
    dataPlane,
    ...(values['host-run-dir'] !== undefined ? { hostRunDir: values['host-run-dir'] } : {}),
    ...(values.multus !== 'auto' ? { multus: values.multus === 'true' } : {}),
    concurrency,
    handleSignals: true,
    log,
  });
  log.info('operator started', {
    namespace: values.namespace,
    dataPlane,
    metrics: op.manager.metricsUrl,
    health: op.manager.healthUrl,
    webhook: op.webhook ? `https://${values['webhook-host']}:${op.webhook.port}` : undefined,
  });
  try {
    await op.done;
  } catch (err) {
    log.error('operator stopped', { err });
    await op.stop();
    return 1;
  }
  await op.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tugboat-lb-operator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
