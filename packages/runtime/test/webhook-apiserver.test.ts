// The webhook server against a real kube-apiserver: the apiserver calls it over TLS, trusting
// only the CA bundle the server installed; a validating webhook's message reaches the kubectl
// user; a mutating webhook defaults a field; a conversion webhook serves v1alpha1 and v1beta1
// of one stored object; certificate and CA rotation keep all of that working.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { allowed, denied } from '../src/admission.js';
import { createClient, type Client } from '../src/client.js';
import { secretCertStore } from '../src/certstore.js';
import { ConfigMap, CustomResourceDefinition, MutatingWebhookConfiguration, Secret, ValidatingWebhookConfiguration } from '../src/kinds.js';
import { createRegistry } from '../src/metrics.js';
import { createWebhookServer, type WebhookServer } from '../src/webhook.js';
import { widgetConversion } from './fixtures/widget-conversion.js';
import { Widget } from './fixtures/widget.js';
import { eventually } from '@tugboat/testenv';


async function servedSerial(port: number, ca: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, ca });
  await once(socket, 'secureConnect');
  const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
  socket.destroy();
  return serial;
}

function widgetYaml(name: string, spec: Record<string, unknown>, apiVersion = 'example.tugboat.dev/v1beta1', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion, kind: 'Widget', metadata: { name, namespace: 'default', ...extra }, spec });
}

describe('webhooks called by a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;
  let server: WebhookServer;
  const registry = createRegistry();

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await client.create(CustomResourceDefinition, Widget.crd());
    await eventually('CRD established', async () => {
      const c = await client.get(CustomResourceDefinition, { name: Widget.crdName });
      return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ? true : undefined;
    });

    server = createWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certificates: { ipAddresses: ['127.0.0.1'], checkIntervalMs: 60_000 },
      install: { client, name: 'tugboat-widgets' },
      registry,
    });
    server.validate(Widget, (req) => {
      const tags = req.object?.spec.tags ?? [];
      if (tags.includes('forbidden')) return denied('the tag "forbidden" is reserved for the platform team; remove it from spec.tags');
      const bad = (req.object?.spec.ports ?? []).flatMap((p, i) => (p.port === 22 ? [{ field: `spec.ports[${i}].port`, message: 'port 22 is not allowed on widgets' }] : []));
      if (bad.length > 0) return denied('widget uses a blocked port', bad);
      return allowed(req.object?.spec.size === 'large' ? ['large widgets are billed separately'] : undefined);
    });
    server.mutate(Widget, (w) => {
      w.spec.minReplicas ??= 1;
      w.metadata.labels = { ...w.metadata.labels, 'example.tugboat.dev/size': w.spec.size };
    });
    server.convert(widgetConversion);
    await server.start();
  });

  after(async () => {
    await server?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('installs both configurations and the CRD conversion with the CA bundle', async () => {
    const caBundle = Buffer.from(server.caBundle()).toString('base64');
    const v = await client.get(ValidatingWebhookConfiguration, { name: 'tugboat-widgets' });
    const m = await client.get(MutatingWebhookConfiguration, { name: 'tugboat-widgets' });
    const crd = await client.get(CustomResourceDefinition, { name: Widget.crdName });
    assert.equal(v.webhooks?.[0]?.name, 'validate.widgets.example.tugboat.dev');
    assert.equal(v.webhooks?.[0]?.clientConfig.url, `https://127.0.0.1:${server.port}/validate-example-tugboat-dev-v1beta1-widgets`);
    assert.equal(v.webhooks?.[0]?.clientConfig.caBundle, caBundle);
    assert.equal(m.webhooks?.[0]?.clientConfig.caBundle, caBundle);
    assert.deepEqual(crd.spec.conversion?.strategy, 'Webhook');
    assert.equal(crd.spec.conversion?.webhook?.clientConfig?.caBundle, caBundle);
  });

  it('shows the validating webhook message to the kubectl user', async () => {
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('tagged', { ports: [{ name: 'http', port: 80 }], tags: ['forbidden'] }) }),
      /admission webhook "validate\.widgets\.example\.tugboat\.dev" denied the request: the tag "forbidden" is reserved for the platform team; remove it from spec\.tags/,
    );
  });

  it('reports field causes the way a schema error does', async () => {
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('ssh', { ports: [{ name: 'http', port: 80 }, { name: 'ssh', port: 22 }] }) }),
      /The Widget "ssh" is invalid: spec\.ports\[1\]\.port: port 22 is not allowed on widgets/,
    );
  });

  it('passes warnings through to kubectl', async () => {
    const out = await cp.kubectl(['apply', '-f', '-', '--warnings-as-errors'], { input: widgetYaml('large', { size: 'large', ports: [{ name: 'http', port: 80 }] }) }).then(
      () => '',
      (e: unknown) => String(e),
    );
    assert.match(out, /large widgets are billed separately/);
  });

  it('defaults fields through the mutating webhook', async () => {
    await cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('defaulted', { size: 'medium', replicas: 2, ports: [{ name: 'http', port: 80 }] }) });
    const got = await client.get(Widget, { namespace: 'default', name: 'defaulted' });
    assert.equal(got.spec.minReplicas, 1);
    assert.equal(got.metadata.labels?.['example.tugboat.dev/size'], 'medium');
  });

  it('converts between versions: create at v1alpha1, read at v1beta1, and back', async () => {
    await cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('old', { size: 'medium', replicas: 2, port: 8080 }, 'example.tugboat.dev/v1alpha1') });
    const beta = await client.get(Widget, { namespace: 'default', name: 'old' });
    assert.equal(beta.apiVersion, 'example.tugboat.dev/v1beta1');
    assert.deepEqual(beta.spec.ports, [{ name: 'main', port: 8080 }]);
    assert.equal(beta.spec.minReplicas, 1, 'the mutating webhook saw the object at its own version');

    await cp.kubectl(['apply', '-f', '-'], {
      input: widgetYaml('new', { size: 'large', replicas: 2, ports: [{ name: 'http', port: 80 }, { name: 'admin', port: 9000 }], tags: ['a'] }),
    });
    const alpha = await client.get(Widget.atVersion('v1alpha1'), { namespace: 'default', name: 'new' });
    assert.equal(alpha.apiVersion, 'example.tugboat.dev/v1alpha1');
    assert.deepEqual(alpha.spec, { size: 'large', replicas: 2, port: 80 });
    // An edit at the old version keeps what only the new version can hold.
    await client.patch(Widget.atVersion('v1alpha1'), { namespace: 'default', name: 'new' }, { spec: { port: 8443 } }, 'merge');
    const back = await client.get(Widget, { namespace: 'default', name: 'new' });
    assert.deepEqual(back.spec.ports, [{ name: 'http', port: 8443 }, { name: 'admin', port: 9000 }]);
    assert.deepEqual(back.spec.tags, ['a']);
  });

  it('keeps serving through a serving-certificate rotation', async () => {
    const bundle = server.caBundle();
    const before = await servedSerial(server.port, bundle);
    await server.rotate();
    const after = await servedSerial(server.port, bundle);
    assert.notEqual(after, before, 'a new certificate is served on the same listener');
    assert.equal(server.caBundle(), bundle, 'same CA, so the installed bundle stays valid');
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('tagged2', { ports: [{ name: 'http', port: 80 }], tags: ['forbidden'] }) }),
      /denied the request: the tag "forbidden" is reserved/,
    );
    await cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('after-rotation', { ports: [{ name: 'http', port: 80 }] }) });
    assert.equal((await client.get(Widget, { namespace: 'default', name: 'after-rotation' })).spec.minReplicas, 1);
  });

  it('keeps serving through a CA rotation, updating the installed bundle', async () => {
    const oldBundle = server.caBundle();
    await server.rotate({ ca: true });
    const newBundle = server.caBundle();
    assert.notEqual(newBundle, oldBundle);
    const b64 = Buffer.from(newBundle).toString('base64');
    const v = await client.get(ValidatingWebhookConfiguration, { name: 'tugboat-widgets' });
    const crd = await client.get(CustomResourceDefinition, { name: Widget.crdName });
    assert.equal(v.webhooks?.[0]?.clientConfig.caBundle, b64);
    assert.equal(crd.spec.conversion?.webhook?.clientConfig?.caBundle, b64);
    // The apiserver picks up configuration changes asynchronously; with the old and new CA
    // both in the bundle, every call in between succeeds, never a TLS failure.
    await assert.rejects(
      cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('tagged3', { ports: [{ name: 'http', port: 80 }], tags: ['forbidden'] }) }),
      /denied the request: the tag "forbidden" is reserved/,
    );
    await cp.kubectl(['apply', '-f', '-'], { input: widgetYaml('after-ca', { size: 'medium', ports: [{ name: 'http', port: 80 }] }) });
    const alpha = await client.get(Widget.atVersion('v1alpha1'), { namespace: 'default', name: 'after-ca' });
    assert.equal(alpha.spec.port, 80);
  });

  it('counts requests in the controller-runtime webhook metrics', () => {
    const text = registry.expose();
    assert.match(text, /controller_runtime_webhook_requests_total\{webhook="\/validate-example-tugboat-dev-v1beta1-widgets",code="200"\} [1-9]/);
    assert.match(text, /controller_runtime_webhook_latency_seconds_bucket\{webhook="\/mutate-example-tugboat-dev-v1beta1-widgets",le="\+Inf"\} [1-9]/);
    assert.match(text, /controller_runtime_webhook_requests_in_flight\{webhook="\/convert\/widgets\.example\.tugboat\.dev"\} 0/);
  });

  it('restarts under the CA the cluster already trusts when the CA is kept in a Secret', async () => {
    const store = secretCertStore(client, { namespace: 'default', name: 'widget-webhook-certs' });
    const first = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: { ipAddresses: ['127.0.0.1'], store }, registry });
    await first.start();
    const bundle = first.caBundle();
    const serial = await servedSerial(first.port, bundle);
    await first.stop();
    const secret = await client.get(Secret, { namespace: 'default', name: 'widget-webhook-certs' });
    assert.equal(secret.type, 'kubernetes.io/tls');

    const second = createWebhookServer({ host: '127.0.0.1', port: 0, certificates: { ipAddresses: ['127.0.0.1'], store }, registry });
    await second.start();
    try {
      assert.equal(second.caBundle(), bundle, 'same CA bundle after a restart');
      assert.equal(await servedSerial(second.port, bundle), serial, 'the stored certificate is served again');
    } finally {
      await second.stop();
    }
  });

  it('does not intercept kinds it was not registered for', async () => {
    await cp.kubectl(['create', 'configmap', 'plain', '--from-literal=tags=forbidden']);
    assert.equal((await client.get(ConfigMap, { namespace: 'default', name: 'plain' })).data?.tags, 'forbidden');
  });
});
