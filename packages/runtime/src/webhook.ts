// The webhook server: validating, mutating and conversion webhooks on one node:https listener.
// Handlers are registered per kind, and the registrations are also the source of the
// Validating/MutatingWebhookConfiguration (rules, paths, names), so what is served and what the
// apiserver calls cannot disagree. TLS comes from the runtime's own CA (certs.ts) unless a
// certificate is given: the CA bundle is written into the configurations and into each CRD's
// conversion clientConfig with server-side apply, and renewed certificates are swapped in with
// `setSecureContext`, without a restart or a dropped request.
import { createServer, type Server } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reviewMutating, reviewValidating, type MutatingHandler, type Operation, type ValidatingHandler } from './admission.js';
import { createCertRotator, type CertRotator, type CertRotatorOptions, type KeyPair, type TlsMaterial } from './certs.js';
import type { Client } from './client.js';
import { reviewConversion, type Converter } from './conversion.js';
import {
  CustomResourceDefinition,
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
  type AdmissionWebhook,
  type LabelSelectorSpec,
  type WebhookClientConfig,
} from './kinds.js';
import { defaultRegistry, type Registry } from './metrics.js';
import type { Kind, KubeObject } from './object.js';

export interface AdmissionWebhookOptions {
  /** URL path; default `/validate-<group>-<version>-<plural>` (or `/mutate-…`). */
  path?: string;
  /** Webhook name (must have three dot-separated parts); default `validate.<plural>.<group>` or `mutate.…`. */
  name?: string;
  /** Default CREATE and UPDATE. */
  operations?: Operation[];
  /** Default Fail: if the webhook is down, requests are refused rather than let through unchecked. */
  failurePolicy?: 'Fail' | 'Ignore';
  /** Default 10 (seconds). */
  timeoutSeconds?: number;
  namespaceSelector?: LabelSelectorSpec;
  objectSelector?: LabelSelectorSpec;
  /** CEL conditions the apiserver checks before calling the webhook at all. */
  matchConditions?: { name: string; expression: string }[];
  /** Mutating only; default IfNeeded, so defaults are applied after other mutating webhooks too. */
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

interface Route {
  type: 'validating' | 'mutating' | 'conversion';
  path: string;
  handle(body: unknown): Promise<unknown>;
  webhook?: { name: string; kind: Kind; opts: AdmissionWebhookOptions };
  converter?: Converter;
}

/** Where the apiserver reaches this server: a URL (webhook on the host, tests) or a Service. */
export type Endpoint = { url: string } | { service: { namespace: string; name: string; port?: number } };

export interface WebhookInstallOptions {
  client: Client;
  /** Name of the Validating/MutatingWebhookConfiguration objects. */
  name: string;
  /** Default: `https://<host>:<port>` of this server (host 127.0.0.1 when listening on all addresses). */
  endpoint?: Endpoint;
  /** Server-side apply field manager; default `tugboat-webhooks`. */
  fieldManager?: string;
}

export interface WebhookServerOptions {
  /** Default 0.0.0.0. */
  host?: string;
  /** Default 9443; 0 picks a free port. */
  port?: number;
  /**
   * A fixed certificate (e.g. from cert-manager; the CA bundle is then the caller's business,
   * unless `caBundle` is given), or options for the runtime's self-managed, self-renewing CA.
   */
  certificates: (KeyPair & { caBundle?: string }) | Omit<CertRotatorOptions, 'onCABundle' | 'onServing'>;
  /** Write the configurations and CRD conversion settings (with the CA bundle) into the cluster. */
  install?: WebhookInstallOptions;
  /** Largest request body accepted; default 8 MiB (an UPDATE review carries two objects). */
  maxBodyBytes?: number;
  registry?: Registry;
  /** Errors outside any request: failed renewals, failed installs after a renewal. */
  onError?: (err: unknown) => void;
}

export interface WebhookServer {
  validate<T extends KubeObject>(kind: Kind<T>, handler: ValidatingHandler<T>, opts?: AdmissionWebhookOptions): void;
  mutate<T extends KubeObject>(kind: Kind<T>, handler: MutatingHandler<T>, opts?: AdmissionWebhookOptions): void;
  /** Serves ConversionReviews for the converter's CRD; default path `/convert/<crd name>`. */
  convert(converter: Converter, opts?: { path?: string }): void;
  /** Obtains certificates, listens, then installs the configurations (when `install` is set). */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly port: number;
  /** The CA bundle clients should trust (PEM), once started. */
  caBundle(): string;
  /**
   * Readiness: resolves to nothing when the server accepts a TLS handshake on its port and
   * serves a certificate that is valid now (and chains to the CA bundle, when there is one);
   * otherwise to the reason. The manager's `/readyz` runs it as the `webhook` check.
   */
  ready(): Promise<string | undefined>;
  /** Renews the serving certificate now (and the CA with `{ ca: true }`); self-managed CA only. */
  rotate(opts?: { ca?: boolean }): Promise<void>;
  /** The configurations for the registered webhooks, for a given endpoint and CA bundle. */
  configurations(endpoint: Endpoint, caBundle: string, name: string): WebhookConfigurations;
}

export interface WebhookConfigurations {
  validating?: ValidatingWebhookConfiguration;
  mutating?: MutatingWebhookConfiguration;
  /** CRD name → conversion clientConfig. */
  conversions: { crdName: string; clientConfig: WebhookClientConfig }[];
}

function defaultPath(prefix: string, kind: Kind): string {
  return `/${prefix}-${kind.group.replace(/\./g, '-') || 'core'}-${kind.version}-${kind.plural}`;
}

function clientConfigFor(endpoint: Endpoint, path: string, caBundle: string): WebhookClientConfig {
  const caBundleB64 = Buffer.from(caBundle).toString('base64');
  if ('url' in endpoint) return { url: `${endpoint.url.replace(/\/$/, '')}${path}`, caBundle: caBundleB64 };
  const { namespace, name, port } = endpoint.service;
  return { service: { namespace, name, path, ...(port !== undefined ? { port } : {}) }, caBundle: caBundleB64 };
}

function admissionWebhook(route: Route, endpoint: Endpoint, caBundle: string): AdmissionWebhook {
  const w = route.webhook;
  if (!w) throw new Error('not an admission route');
  const { kind, opts } = w;
  const hook: AdmissionWebhook = {
    name: w.name,
    clientConfig: clientConfigFor(endpoint, route.path, caBundle),
    rules: [
      {
        operations: opts.operations ?? ['CREATE', 'UPDATE'],
        apiGroups: [kind.group],
        apiVersions: [kind.version],
        resources: [kind.plural],
        scope: kind.namespaced ? 'Namespaced' : 'Cluster',
      },
    ],
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: opts.failurePolicy ?? 'Fail',
    // Equivalent: a request made at another version of the kind is converted to the version the
    // handler was registered for, so a handler only ever sees objects of its own type.
    matchPolicy: 'Equivalent',
    timeoutSeconds: opts.timeoutSeconds ?? 10,
  };
  if (opts.namespaceSelector) hook.namespaceSelector = opts.namespaceSelector;
  if (opts.objectSelector) hook.objectSelector = opts.objectSelector;
  if (opts.matchConditions) hook.matchConditions = opts.matchConditions;
  return hook;
}

/** The configuration objects for a set of routes (pure). */
function buildConfigurations(routes: readonly Route[], endpoint: Endpoint, caBundle: string, name: string): WebhookConfigurations {
  const validating = routes.filter((r) => r.type === 'validating').map((r) => admissionWebhook(r, endpoint, caBundle));
  const mutating = routes
    .filter((r) => r.type === 'mutating')
    .map((r) => ({ ...admissionWebhook(r, endpoint, caBundle), reinvocationPolicy: r.webhook?.opts.reinvocationPolicy ?? ('IfNeeded' as const) }));
  const out: WebhookConfigurations = {
    conversions: routes
      .filter((r) => r.type === 'conversion' && r.converter)
      .map((r) => ({ crdName: (r.converter as Converter).crdName, clientConfig: clientConfigFor(endpoint, r.path, caBundle) })),
  };
  const metadata = { name, labels: { 'app.kubernetes.io/managed-by': 'tugboat', 'app.kubernetes.io/part-of': 'tugboat' } };
  if (validating.length > 0) {
    out.validating = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata, webhooks: validating };
  }
  if (mutating.length > 0) {
    out.mutating = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: structuredClone(metadata), webhooks: mutating };
  }
  return out;
}

/** Applies the configurations and CRD conversion settings with server-side apply. */
export async function installWebhookConfigurations(client: Client, configs: WebhookConfigurations, fieldManager = 'tugboat-webhooks'): Promise<void> {
  const opts = { fieldManager, force: true };
  if (configs.validating) await client.apply(ValidatingWebhookConfiguration, { ...configs.validating, metadata: { ...configs.validating.metadata, name: configs.validating.metadata.name ?? '' } }, opts);
  if (configs.mutating) await client.apply(MutatingWebhookConfiguration, { ...configs.mutating, metadata: { ...configs.mutating.metadata, name: configs.mutating.metadata.name ?? '' } }, opts);
  for (const c of configs.conversions) {
    await client.apply(
      CustomResourceDefinition,
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: c.crdName },
        spec: { conversion: { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: c.clientConfig } } },
      },
      opts,
    );
  }
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function webhookMetrics(registry: Registry) {
  return {
    requests: registry.counter<'webhook' | 'code'>({
      name: 'controller_runtime_webhook_requests_total',
      help: 'Total number of admission requests by HTTP status code.',
      labelNames: ['webhook', 'code'],
    }),
    latency: registry.histogram<'webhook'>({
      name: 'controller_runtime_webhook_latency_seconds',
      help: 'Histogram of the latency of processing admission requests',
      labelNames: ['webhook'],
      buckets: latencyBuckets,
    }),
    inFlight: registry.gauge<'webhook'>({
      name: 'controller_runtime_webhook_requests_in_flight',
      help: 'Current number of admission requests being served.',
      labelNames: ['webhook'],
    }),
  };
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

/** A TLS handshake with our own listener: proves it is up and shows what a caller is served. */
async function checkServing(host: string, port: number, caBundle: string, timeoutMs: number): Promise<string | undefined> {
  // The certificate names the Service or the address the apiserver uses, not necessarily the
  // address we dial, so the chain and the dates are checked and the host name is not.
  const socket = tlsConnect({
    host,
    port,
    ...(caBundle !== '' ? { ca: caBundle } : {}),
    rejectUnauthorized: caBundle !== '',
    checkServerIdentity: () => undefined,
  });
  socket.setTimeout(timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
      socket.once('timeout', () => reject(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    });
    const cert = socket.getPeerX509Certificate();
    if (!cert) return 'the server presented no certificate';
    const now = Date.now();
    if (now < new Date(cert.validFrom).getTime()) return `the serving certificate is not valid before ${cert.validFrom}`;
    if (now >= new Date(cert.validTo).getTime()) return `the serving certificate expired at ${cert.validTo}`;
    return undefined;
  } catch (e) {
    return `serving on ${host}:${port} failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    socket.destroy();
  }
}

function isRotatorOptions(c: WebhookServerOptions['certificates']): c is Omit<CertRotatorOptions, 'onCABundle' | 'onServing'> {
  return !('cert' in c && 'key' in c);
}

export function createWebhookServer(opts: WebhookServerOptions): WebhookServer {
  const host = opts.host ?? '0.0.0.0';
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const metrics = webhookMetrics(opts.registry ?? defaultRegistry);
  const routes = new Map<string, Route>();
  const names = new Set<string>();
  let server: Server | undefined;
  let rotator: CertRotator | undefined;
  let material: { serving: KeyPair; caBundle: string } | undefined;
  let installed = false;
  let port = 0;

  function addRoute(route: Route): void {
    if (server) throw new Error('register webhooks before start()');
    if (routes.has(route.path)) throw new Error(`webhook path ${route.path} is registered twice`);
    if (route.webhook) {
      if (names.has(route.webhook.name)) throw new Error(`webhook name ${route.webhook.name} is registered twice`);
      if (route.webhook.name.split('.').length < 3) throw new Error(`webhook name ${route.webhook.name} needs at least three dot-separated parts`);
      names.add(route.webhook.name);
    }
    routes.set(route.path, route);
  }

  function endpoint(): Endpoint {
    return opts.install?.endpoint ?? { url: `https://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}` };
  }

  async function install(caBundle: string): Promise<void> {
    const inst = opts.install;
    if (!inst) return;
    await installWebhookConfigurations(inst.client, buildConfigurations([...routes.values()], endpoint(), caBundle, inst.name), inst.fieldManager);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.get(path);
    const label = route ? path : 'unknown';
    const started = process.hrtime.bigint();
    metrics.inFlight.inc({ webhook: label });
    let code = 200;
    let body: unknown;
    try {
      if (!route) throw new HttpError(404, `no webhook at ${path}`);
      if (req.method !== 'POST') throw new HttpError(405, 'webhooks take POST');
      const review = await readBody(req, maxBody);
      try {
        body = await route.handle(review);
      } catch (err) {
        // A malformed review is the caller's error; the handlers themselves never throw here.
        throw err instanceof TypeError ? new HttpError(400, err.message) : err;
      }
    } catch (err) {
      code = err instanceof HttpError ? err.code : 500;
      body = { error: err instanceof Error ? err.message : String(err) };
    } finally {
      metrics.inFlight.dec({ webhook: label });
    }
    metrics.requests.inc({ webhook: label, code: String(code) });
    metrics.latency.observe({ webhook: label }, Number(process.hrtime.bigint() - started) / 1e9);
    const payload = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  function swap(m: TlsMaterial | { serving: KeyPair; caBundle: string }): void {
    material = { serving: m.serving, caBundle: m.caBundle };
    server?.setSecureContext({ cert: m.serving.cert, key: m.serving.key });
  }

  return {
    validate(kind, handler, o = {}) {
      addRoute({
        type: 'validating',
        path: o.path ?? defaultPath('validate', kind),
        webhook: { name: o.name ?? `validate.${kind.plural}.${kind.group || 'core'}`, kind, opts: o },
        handle: (review) => reviewValidating(review, handler),
      });
    },
    mutate(kind, handler, o = {}) {
      addRoute({
        type: 'mutating',
        path: o.path ?? defaultPath('mutate', kind),
        webhook: { name: o.name ?? `mutate.${kind.plural}.${kind.group || 'core'}`, kind, opts: o },
        handle: (review) => reviewMutating(review, handler),
      });
    },
    convert(converter, o = {}) {
      addRoute({
        type: 'conversion',
        path: o.path ?? `/convert/${converter.crdName}`,
        converter,
        handle: async (review) => reviewConversion(review, converter),
      });
    },
    async start() {
      if (server) throw new Error('webhook server already started');
      const certs = opts.certificates;
      if (isRotatorOptions(certs)) {
        rotator = createCertRotator({
          ...certs,
          // The apiserver must trust a new CA before it is served: install the widened bundle first.
          onCABundle: async (bundle) => {
            if (installed) await install(bundle);
          },
          onServing: swap,
          onError: opts.onError,
        });
        swap(await rotator.start());
      } else {
        swap({ serving: { cert: certs.cert, key: certs.key }, caBundle: certs.caBundle ?? '' });
      }
      const current = material as { serving: KeyPair };
      const s = createServer({ cert: current.serving.cert, key: current.serving.key, minVersion: 'TLSv1.2' }, (req, res) => {
        void onRequest(req, res);
      });
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(opts.port ?? 9443, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      port = (s.address() as AddressInfo).port;
      if (opts.install) {
        if (!material?.caBundle) throw new Error('install needs a CA bundle: use the self-managed CA or pass certificates.caBundle');
        await install(material.caBundle);
        installed = true;
      }
    },
    async stop() {
      rotator?.stop();
      const s = server;
      if (!s) return;
      // In-flight reviews get a short grace period; the apiserver's keep-alive connections
      // would otherwise hold close() open until they time out on their own.
      const grace = setTimeout(() => s.closeAllConnections(), 5_000);
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeIdleConnections();
      });
      clearTimeout(grace);
    },
    get port() {
      return port;
    },
    caBundle() {
      if (!material) throw new Error('webhook server not started');
      return material.caBundle;
    },
    async ready() {
      const s = server;
      if (!s || !material) return 'the webhook server has not started';
      if (!s.listening) return 'the webhook server is not listening';
      const dial = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
      return checkServing(dial, port, material.caBundle, 5_000);
    },
    async rotate(o = {}) {
      if (!rotator) throw new Error('rotate() needs the self-managed CA');
      await rotator.rotate(o);
    },
    configurations(ep, caBundle, name) {
      return buildConfigurations([...routes.values()], ep, caBundle, name);
    },
  };
}
