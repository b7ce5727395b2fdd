// The operator's command line, parsed into HarborOperatorOptions (pure: no side effects, so it
// is tested by value; main.ts runs the result).
import { parseArgs } from 'node:util';
import { createLogger, isLogLevel, type Endpoint } from '@tugboat/runtime';
import type { HarborOperatorOptions } from './operator.js';

export const usage = `tugboat-harbor-operator: one Harbor per Registry, on shared PostgreSQL and object storage

flags:
  --kubeconfig PATH            kubeconfig (default $KUBECONFIG, else in-cluster)
  --leader-elect BOOL          hold a Lease while reconciling (default true)
  --leader-election-namespace  namespace of the Lease (default: the pod's, else default)
  --metrics-port N             serve /metrics (default 8080; off disables)
  --health-port N              serve /healthz and /readyz (default 8081; off disables)
  --bind-address ADDR          address of the metrics/health servers (default 0.0.0.0)
  --webhook-port N             serve the validating webhooks (default 9443; off disables)
  --webhook-host ADDR          listen address of the webhook server (default 0.0.0.0)
  --webhook-url URL            where the apiserver reaches the webhooks (operator outside the cluster)
  --webhook-service NS/NAME    the operator's Service (operator in the cluster)
  --webhook-cert-secret NS/NAME  Secret keeping the webhook CA across restarts
  --install-crds               apply the Registry, PostgresServer and ObjectStore CRDs at start
  --in-cluster BOOL            can reach Services by DNS name (default: running in a pod)
  --probe-interval SECONDS     how often Ready registries are probed again (default 60)
  --log-level LEVEL            debug, info, warn or error (default info)
`;

function nsName(v: string, flag: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = v.split('/');
  if (!namespace || !name || rest.length > 0) throw new Error(`${flag}: expected NAMESPACE/NAME, got ${v}`);
  return { namespace, name };
}

function bool(v: string | undefined, dflt: boolean, flag: string): boolean {
  if (v === undefined) return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`${flag}: expected true or false, got ${v}`);
}

function port(v: string | undefined, dflt: number, flag: string): number | undefined {
  if (v === 'off') return undefined;
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag}: expected a port number or off, got ${v}`);
  return n;
}

export function optionsFromArgs(argv: string[]): HarborOperatorOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      kubeconfig: { type: 'string' },
      'leader-elect': { type: 'string' },
      'leader-election-namespace': { type: 'string' },
      'metrics-port': { type: 'string' },
      'health-port': { type: 'string' },
      'bind-address': { type: 'string' },
      'webhook-port': { type: 'string' },
      'webhook-host': { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-service': { type: 'string' },
      'webhook-cert-secret': { type: 'string' },
      'install-crds': { type: 'boolean' },
      'in-cluster': { type: 'string' },
      'probe-interval': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const level = values['log-level'] ?? 'info';
  if (!isLogLevel(level)) throw new Error(`--log-level: expected debug, info, warn or error, got ${level}`);
  const probeSeconds = Number(values['probe-interval'] ?? '60');
  if (!(probeSeconds > 0)) throw new Error(`--probe-interval: expected a positive number of seconds`);

  const webhookPort = port(values['webhook-port'], 9443, '--webhook-port');
  let endpoint: Endpoint | undefined;
  let dnsNames: string[] | undefined;
  if (values['webhook-url']) endpoint = { url: values['webhook-url'] };
  else if (values['webhook-service']) {
    const svc = nsName(values['webhook-service'], '--webhook-service');
    endpoint = { service: { ...svc, ...(webhookPort !== undefined ? { port: webhookPort } : {}) } };
    dnsNames = [`${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}.svc.cluster.local`];
  }
  const metricsPort = port(values['metrics-port'], 8080, '--metrics-port');
  const healthPort = port(values['health-port'], 8081, '--health-port');
  const inCluster = values['in-cluster'] === undefined ? undefined : bool(values['in-cluster'], false, '--in-cluster');
  return {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    leaderElection: bool(values['leader-elect'], true, '--leader-elect')
      ? { ...(values['leader-election-namespace'] ? { namespace: values['leader-election-namespace'] } : {}) }
      : false,
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(healthPort !== undefined ? { healthPort } : {}),
    ...(values['bind-address'] ? { bindAddress: values['bind-address'] } : {}),
    webhook:
      webhookPort === undefined
        ? false
        : {
            port: webhookPort,
            ...(values['webhook-host'] ? { host: values['webhook-host'] } : {}),
            ...(endpoint ? { endpoint } : {}),
            ...(dnsNames ? { dnsNames } : {}),
            ...(values['webhook-cert-secret'] ? { certSecret: nsName(values['webhook-cert-secret'], '--webhook-cert-secret') } : {}),
          },
    installCRDs: values['install-crds'] ?? false,
    ...(inCluster !== undefined ? { inCluster } : {}),
    probeIntervalMs: probeSeconds * 1000,
    log: createLogger({ level, fields: { operator: 'harbor' } }),
    handleSignals: true,
  };
}

