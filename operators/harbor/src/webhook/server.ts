// The operator's admission webhook server: validating webhooks for Registry, PostgresServer and
// ObjectStore on one HTTPS listener. The runtime's own CA issues and renews the serving
// certificate (kept in a Secret so restarts and replicas share it) and the
// ValidatingWebhookConfiguration is written with its CA bundle, so nothing else is needed —
// no cert-manager. Failure policy Fail: with the webhook down, specs are refused rather than
// admitted unchecked (the CRD's CEL rules still catch most mistakes either way).
import { createWebhookServer, secretCertStore, type Client, type Endpoint, type Registry as MetricsRegistry, type WebhookServer } from '@tugboat/runtime';
import { ObjectStore } from '../api/object-store.js';
import { PostgresServer } from '../api/postgres-server.js';
import { Registry } from '../api/registry.js';
import { validateObjectStoreAdmission, validatePostgresServerAdmission, validateRegistryAdmission } from './validating.js';

export const webhookConfigurationName = 'tugboat-harbor';

export interface HarborWebhookOptions {
  client: Client;
  /** Default 0.0.0.0. */
  host?: string;
  /** Default 9443; 0 picks a free port. */
  port?: number;
  /** Where the apiserver reaches the server: the operator's Service in a cluster, a URL on the host. Default https://<host>:<port>. */
  endpoint?: Endpoint;
  /** Names the serving certificate must carry, e.g. the Service's DNS name; default 127.0.0.1 only. */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Secret that keeps the webhook CA across restarts; none keeps it in memory. */
  certSecret?: { namespace: string; name: string };
  registry?: MetricsRegistry;
  onError?: (err: unknown) => void;
}

export function harborWebhookServer(o: HarborWebhookOptions): WebhookServer {
  const server = createWebhookServer({
    host: o.host ?? '0.0.0.0',
    port: o.port ?? 9443,
    certificates: {
      ...(o.dnsNames ? { dnsNames: o.dnsNames } : {}),
      ipAddresses: o.ipAddresses ?? (o.dnsNames ? [] : ['127.0.0.1']),
      ...(o.certSecret ? { store: secretCertStore(o.client, { ...o.certSecret, fieldManager: 'tugboat-harbor-webhook' }) } : {}),
    },
    install: { client: o.client, name: webhookConfigurationName, fieldManager: 'tugboat-harbor-webhook', ...(o.endpoint ? { endpoint: o.endpoint } : {}) },
    ...(o.registry ? { registry: o.registry } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  });
  server.validate(Registry, validateRegistryAdmission);
  server.validate(PostgresServer, validatePostgresServerAdmission);
  server.validate(ObjectStore, validateObjectStoreAdmission);
  return server;
}
