// A thin typed client for the Kubernetes API over undici keep-alive pools. Objects stay plain
// JSON; failures are ApiErrors. Two pools per apiserver: one for ordinary requests, one for
// watches, so long-lived watches never occupy the connections reconciles need (and vice versa).
// HTTP/1.1 on purpose: over HTTP/2 every watch shares one connection, and a single half-open
// connection would silently stall them all.
import { createHash } from 'node:crypto';
import { Pool, type Dispatcher } from 'undici';
import { sleep } from './backoff.js';
import { apiErrorFrom, isGone } from './errors.js';
import type { PartialObjectMetadata } from './kinds.js';
import { loadCredentials, type ConnectionConfig, type CredentialSource, type KubeconfigOptions } from './kubeconfig.js';
import { apiVersionOf, type Kind, type KubeObject, type ObjectKey, type ObjectList, type ObjectMeta } from './object.js';
import { createTokenBucket } from './tokenbucket.js';
import { decodeJsonLines, toWatchEvent, type WatchEvent } from './watch.js';

/** What the metrics hook hears after every request (client-go's rest_client_* labels). */
export interface RequestInfo {
  method: string;
  /** HTTP status as a string, or '<error>' when no response arrived. */
  code: string;
  host: string;
  durationSeconds: number;
}

export interface ClientOptions extends KubeconfigOptions {
  userAgent?: string;
  /** Sustained client-side request rate. Default 50. */
  qps?: number;
  /** Requests allowed at once above the sustained rate. Default 100. */
  burst?: number;
  /** Called once per HTTP attempt; the manager wires rest_client_* metrics here. */
  onRequest?: (info: RequestInfo) => void;
  /** Connections for ordinary requests. Default 16. */
  maxConnections?: number;
  /** Connections for watches (one per open watch); null = unlimited. Default null. */
  maxWatchConnections?: number | null;
  /** Supplies server and credentials instead of a kubeconfig (e.g. a custom auth source). */
  credentials?: CredentialSource;
}

/**
 * What a client derived from another may set for itself (see deriveClient); the apiserver,
 * credentials and request hook are the other client's.
 */
export interface DerivedClientOptions {
  /** Sustained rate of the new client's own limiter. Default 5 (client-go's rest.Config default). */
  qps?: number;
  /** Default 10. */
  burst?: number;
  /** Connections of its own pool. Default 2. */
  maxConnections?: number;
  /** Appended to the user agent (`<agent>/<suffix>`), so audit logs tell its requests apart. */
  userAgentSuffix?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** Ask for PartialObjectMetadata (metadata only) instead of whole objects. */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  allowWatchBookmarks?: boolean;
  /** The apiserver ends the watch after this many seconds (it also has its own maximum). */
  timeoutSeconds?: number;
  /** WatchList: stream the current state as ADDED events first, then a bookmark. */
  sendInitialEvents?: boolean;
  metadataOnly?: boolean;
  /** Ends the watch; the iteration then simply finishes. */
  signal: AbortSignal;
  /** Called when the apiserver has accepted the watch (HTTP 200), before any event. */
  onOpen?: () => void;
}

export type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * A server-side apply configuration: only the fields this manager owns. apiVersion and kind
 * default to the Kind's; metadata.name is required.
 */
export type ApplyConfiguration<T extends KubeObject> = DeepPartial<Omit<T, 'apiVersion' | 'kind' | 'metadata'>> & {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { name: string };
};

export type PatchType = 'merge' | 'json' | 'strategic';

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

export interface RawRequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface Client {
  /** Base URL of the apiserver. */
  readonly server: string;
  get<T extends KubeObject>(kind: Kind<T>, key: ObjectKey, opts?: { signal?: AbortSignal }): Promise<T>;
  list<T extends KubeObject>(kind: Kind<T>, opts: ListOptions & { metadataOnly: true }): Promise<ObjectList<PartialObjectMetadata>>;
  list<T extends KubeObject>(kind: Kind<T>, opts?: ListOptions): Promise<ObjectList<T>>;
  /** Every page, following continue tokens; `limit` is the page size (default 500). */
  listAll<T extends KubeObject>(kind: Kind<T>, opts: ListOptions & { metadataOnly: true }): Promise<ObjectList<PartialObjectMetadata>>;
  listAll<T extends KubeObject>(kind: Kind<T>, opts?: ListOptions): Promise<ObjectList<T>>;
  create<T extends KubeObject>(kind: Kind<T>, obj: T, opts?: { dryRun?: boolean; fieldManager?: string }): Promise<T>;
  update<T extends KubeObject>(kind: Kind<T>, obj: T, opts?: { dryRun?: boolean; fieldManager?: string }): Promise<T>;
  updateStatus<T extends KubeObject>(kind: Kind<T>, obj: T, opts?: { dryRun?: boolean; fieldManager?: string }): Promise<T>;
  delete(kind: Kind, key: ObjectKey, opts?: DeleteOptions): Promise<void>;
  patch<T extends KubeObject>(
    kind: Kind<T>,
    key: ObjectKey,
    patch: unknown,
    type: PatchType,
    opts?: { subresource?: 'status'; fieldManager?: string; dryRun?: boolean },
  ): Promise<T>;
  /** Server-side apply (PATCH application/apply-patch+yaml with a JSON body). */
  apply<T extends KubeObject>(
    kind: Kind<T>,
    obj: ApplyConfiguration<T>,
    opts: { fieldManager: string; force?: boolean; subresource?: 'status'; dryRun?: boolean },
  ): Promise<T>;
  watch<T extends KubeObject>(kind: Kind<T>, opts: WatchOptions & { metadataOnly: true }): AsyncIterable<WatchEvent<PartialObjectMetadata>>;
  watch<T extends KubeObject>(kind: Kind<T>, opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /** Escape hatch: any path, JSON in and out, same auth, retries, rate limit and metrics. */
  request<R = unknown>(method: string, path: string, body?: unknown, opts?: RawRequestOptions): Promise<R>;
  /** Closes the connection pools; open watches end. */
  close(): Promise<void>;
}

const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};
// client-go retries a response that carries Retry-After up to 10 times.
const MAX_RETRY_AFTER = 10;
const MAX_STALE_SOCKET_RETRIES = 2;

/** The REST path of a kind's collection, or of one object when `name` is given. */
export function resourcePath(kind: Kind, opts: { namespace?: string | undefined; name?: string | undefined; subresource?: string | undefined } = {}): string {
  const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const ns = kind.namespaced && opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : '';
  let p = `${base}${ns}/${kind.plural}`;
  if (opts.name !== undefined) p += `/${encodeURIComponent(opts.name)}`;
  if (opts.subresource !== undefined) p += `/${opts.subresource}`;
  return p;
}

function objectPath(kind: Kind, key: ObjectKey, subresource?: string): string {
  if (!key.name) throw new TypeError(`${kind.kind}: an object name is required`);
  if (kind.namespaced && !key.namespace) throw new TypeError(`${kind.kind} ${key.name}: namespaced kind needs a namespace`);
  return resourcePath(kind, { namespace: kind.namespaced ? key.namespace : undefined, name: key.name, subresource });
}

function queryString(q: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(res: Dispatcher.ResponseData): Promise<unknown> {
  const text = await res.body.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function expectOk<R>(res: Dispatcher.ResponseData): Promise<R> {
  const body = await readBody(res);
  if (res.statusCode >= 400) throw apiErrorFrom(res.statusCode, body, header(res, 'retry-after'));
  return body as R;
}

function isStaleSocket(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
}

function fingerprint(conn: ConnectionConfig): string {
  const h = createHash('sha256');
  h.update(conn.server);
  for (const v of [conn.tls.ca, conn.tls.cert, conn.tls.key, conn.tls.servername, String(conn.tls.rejectUnauthorized)]) h.update(`\0${v?.toString() ?? ''}`);
  return h.digest('hex');
}

interface Pools {
  id: string;
  origin: string;
  prefix: string;
  host: string;
  requests: Pool;
  watches: Pool;
}

// How each client made here was configured, so deriveClient can make a sibling that shares
// the credential source (one exec plugin, one token file, rotations seen by both).
const origins = new WeakMap<Client, ClientOptions & { credentials: CredentialSource; userAgent: string }>();

/**
 * A new client for the same apiserver, with the same credential source and `onRequest` hook as
 * `client`, but its own rate limiter and connection pool: requests that must not queue behind a
 * busy controller (Lease renewals) go through it. client-go setups get the same by giving
 * leader election its own rest.Config. Undefined when `client` was not made by createClient.
 * Close it separately.
 */
export async function deriveClient(client: Client, opts: DerivedClientOptions = {}): Promise<Client | undefined> {
  const origin = origins.get(client);
  if (!origin) return undefined;
  return createClient({
    ...origin,
    qps: opts.qps ?? 5,
    burst: opts.burst ?? 10,
    maxConnections: opts.maxConnections ?? 2,
    userAgent: opts.userAgentSuffix !== undefined ? `${origin.userAgent}/${opts.userAgentSuffix}` : origin.userAgent,
  });
}

export async function createClient(opts: ClientOptions = {}): Promise<Client> {
  const creds = opts.credentials ?? loadCredentials(opts);
  const limiter = createTokenBucket({ qps: opts.qps ?? 50, burst: opts.burst ?? 100 });
  const userAgent = opts.userAgent ?? `tugboat/0.1.0 (${process.platform}/${process.arch}) node/${process.versions.node}`;
  const onRequest = opts.onRequest;
  let pools: Pools | undefined;
  let lastConn: ConnectionConfig | undefined;
  let closed = false;

  const poolsFor = (conn: ConnectionConfig): Pools => {
    if (pools && conn === lastConn) return pools;
    const id = fingerprint(conn);
    lastConn = conn;
    if (pools?.id === id) return pools;
    // Credentials or server changed (rotation after a 401): new connections from now on; the
    // old pools finish what they carry and then close.
    const old = pools;
    const url = new URL(conn.server);
    const connect = { ...conn.tls };
    pools = {
      id,
      origin: url.origin,
      prefix: url.pathname.replace(/\/+$/, ''),
      host: url.host,
      requests: new Pool(url.origin, { connections: opts.maxConnections ?? 16, pipelining: 1, allowH2: false, connect }),
      watches: new Pool(url.origin, {
        connections: opts.maxWatchConnections ?? null,
        pipelining: 1,
        allowH2: false,
        connect,
        // A watch is quiet for minutes between events; liveness is the informer watchdog's job.
        bodyTimeout: 0,
      }),
    };
    if (old) {
      void old.requests.close();
      void old.watches.close();
    }
    return pools;
  };

  interface SendOptions {
    method: Dispatcher.HttpMethod;
    path: string;
    query?: Record<string, string | number | boolean | undefined>;
    body?: string;
    contentType?: string;
    accept?: string;
    signal?: AbortSignal | undefined;
    watch?: boolean;
  }

  const send = async (req: SendOptions): Promise<Dispatcher.ResponseData> => {
    if (closed) throw new Error('client is closed');
    let conn = await creds.resolve();
    let refreshed = false;
    let retryAfters = 0;
    let staleRetries = 0;
    for (;;) {
      const p = poolsFor(conn);
      await limiter.take(req.signal);
      req.signal?.throwIfAborted();
      const headers: Record<string, string> = {
        ...conn.headers,
        'user-agent': userAgent,
        accept: req.accept ?? 'application/json',
      };
      if (req.contentType !== undefined) headers['content-type'] = req.contentType;
      const start = performance.now();
      let res: Dispatcher.ResponseData;
      try {
        res = await (req.watch ? p.watches : p.requests).request({
          method: req.method,
          path: p.prefix + req.path + queryString(req.query ?? {}),
          headers,
          body: req.body ?? null,
          signal: req.signal ?? null,
        });
      } catch (e) {
        onRequest?.({ method: req.method, code: '<error>', host: p.host, durationSeconds: (performance.now() - start) / 1000 });
        // A keep-alive connection the server closed while we reused it: safe to resend a read.
        if (req.method === 'GET' && isStaleSocket(e) && staleRetries++ < MAX_STALE_SOCKET_RETRIES && !req.signal?.aborted) continue;
        throw e;
      }
      onRequest?.({ method: req.method, code: String(res.statusCode), host: p.host, durationSeconds: (performance.now() - start) / 1000 });
      if (res.statusCode === 401 && !refreshed) {
        // Tokens from exec plugins and projected service-account files rotate; re-read once.
        await res.body.dump();
        refreshed = true;
        conn = await creds.refresh();
        continue;
      }
      const retryAfter = Number(header(res, 'retry-after'));
      if ((res.statusCode === 429 || res.statusCode >= 500) && Number.isFinite(retryAfter) && retryAfters++ < MAX_RETRY_AFTER) {
        await res.body.dump();
        await sleep(Math.min(Math.max(retryAfter, 1), 30) * 1000, req.signal);
        req.signal?.throwIfAborted();
        continue;
      }
      return res;
    }
  };

  const call = async <R>(req: SendOptions): Promise<R> => expectOk<R>(await send(req));

  const withTypeMeta = <T extends KubeObject>(kind: Kind<T>, obj: { apiVersion?: string; kind?: string }) => ({
    ...obj,
    apiVersion: obj.apiVersion ?? apiVersionOf(kind),
    kind: obj.kind ?? kind.kind,
  });

  const listPage = <T extends KubeObject>(kind: Kind<T>, o: ListOptions = {}): Promise<ObjectList<T>> =>
    call<ObjectList<T>>({
      method: 'GET',
      path: resourcePath(kind, { namespace: o.namespace }),
      query: {
        labelSelector: o.labelSelector,
        fieldSelector: o.fieldSelector,
        limit: o.limit,
        continue: o.continue,
        resourceVersion: o.resourceVersion,
        resourceVersionMatch: o.resourceVersionMatch,
      },
      accept: o.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
      signal: o.signal,
    }).then((l) => ({ ...l, items: l.items ?? [] }));

  const listAll = async <T extends KubeObject>(kind: Kind<T>, o: ListOptions = {}): Promise<ObjectList<T>> => {
    const limit = o.limit ?? 500;
    const first = await listPage(kind, { ...o, limit, continue: undefined });
    const items = [...first.items];
    let cont = first.metadata.continue;
    try {
      while (cont) {
        const page = await listPage(kind, { ...o, limit, continue: cont });
        items.push(...page.items);
        cont = page.metadata.continue;
      }
    } catch (e) {
      // The continue token expired (compaction between pages): fall back to one full list, as
      // client-go's pager does, rather than handing back a torn snapshot.
      if (!isGone(e)) throw e;
      return listPage(kind, { ...o, limit: undefined, continue: undefined });
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  };

  async function* watch<T extends KubeObject>(kind: Kind<T>, o: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    let res: Dispatcher.ResponseData;
    try {
      res = await send({
        method: 'GET',
        path: resourcePath(kind, { namespace: o.namespace }),
        query: {
          watch: 1,
          labelSelector: o.labelSelector,
          fieldSelector: o.fieldSelector,
          resourceVersion: o.resourceVersion,
          resourceVersionMatch: o.resourceVersionMatch,
          allowWatchBookmarks: o.allowWatchBookmarks,
          timeoutSeconds: o.timeoutSeconds,
          sendInitialEvents: o.sendInitialEvents,
        },
        accept: o.metadataOnly ? METADATA_ACCEPT : undefined,
        signal: o.signal,
        watch: true,
      });
    } catch (e) {
      if (o.signal.aborted) return;
      throw e;
    }
    try {
      if (res.statusCode !== 200) throw apiErrorFrom(res.statusCode, await readBody(res), header(res, 'retry-after'));
      o.onOpen?.();
      for await (const raw of decodeJsonLines(res.body)) yield toWatchEvent<T>(raw);
    } catch (e) {
      if (o.signal.aborted) return;
      throw e;
    } finally {
      // Frees the connection when the consumer stops early (break, or an exception in its body).
      res.body.destroy();
    }
  }

  const client: Client = {
    get server() {
      return lastConn?.server ?? '';
    },
    get: (kind, key, o) => call({ method: 'GET', path: objectPath(kind, key), signal: o?.signal }),
    list: listPage as Client['list'],
    listAll: listAll as Client['listAll'],
    create: (kind, obj, o) =>
      call({
        method: 'POST',
        path: resourcePath(kind, { namespace: obj.metadata.namespace }),
        query: { dryRun: o?.dryRun ? 'All' : undefined, fieldManager: o?.fieldManager },
        body: JSON.stringify(withTypeMeta(kind, obj)),
        contentType: 'application/json',
      }),
    update: (kind, obj, o) =>
      call({
        method: 'PUT',
        path: objectPath(kind, { namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' }),
        query: { dryRun: o?.dryRun ? 'All' : undefined, fieldManager: o?.fieldManager },
        body: JSON.stringify(withTypeMeta(kind, obj)),
        contentType: 'application/json',
      }),
    updateStatus: (kind, obj, o) =>
      call({
        method: 'PUT',
        path: objectPath(kind, { namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' }, 'status'),
        query: { dryRun: o?.dryRun ? 'All' : undefined, fieldManager: o?.fieldManager },
        body: JSON.stringify(withTypeMeta(kind, obj)),
        contentType: 'application/json',
      }),
    async delete(kind, key, o = {}) {
      const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
      if (o.propagationPolicy) body.propagationPolicy = o.propagationPolicy;
      if (o.preconditions) body.preconditions = o.preconditions;
      if (o.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = o.gracePeriodSeconds;
      if (o.dryRun) body.dryRun = ['All'];
      await call({ method: 'DELETE', path: objectPath(kind, key), body: JSON.stringify(body), contentType: 'application/json' });
    },
    patch: (kind, key, patch, type, o) =>
      call({
        method: 'PATCH',
        path: objectPath(kind, key, o?.subresource),
        query: { fieldManager: o?.fieldManager, dryRun: o?.dryRun ? 'All' : undefined },
        body: JSON.stringify(patch),
        contentType: patchContentTypes[type],
      }),
    apply: (kind, obj, o) =>
      call({
        method: 'PATCH',
        path: objectPath(kind, { namespace: obj.metadata.namespace, name: obj.metadata.name }, o.subresource),
        query: { fieldManager: o.fieldManager, force: o.force ? true : undefined, dryRun: o.dryRun ? 'All' : undefined },
        // JSON is YAML, and the apiserver parses it faster than YAML proper.
        body: JSON.stringify(withTypeMeta(kind, obj)),
        contentType: 'application/apply-patch+yaml',
      }),
    watch: watch as Client['watch'],
    request: <R = unknown>(method: string, path: string, body?: unknown, o: RawRequestOptions = {}) =>
      call<R>({
        method: method.toUpperCase() as Dispatcher.HttpMethod,
        path,
        query: o.query ?? {},
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        contentType: body === undefined ? undefined : (o.contentType ?? 'application/json'),
        accept: o.accept,
        signal: o.signal,
      }),
    async close() {
      closed = true;
      if (pools) await Promise.all([pools.requests.destroy(), pools.watches.destroy()]);
    },
  };
  // Resolve once up front so a bad kubeconfig or failing exec plugin fails createClient, not
  // the first reconcile.
  poolsFor(await creds.resolve());
  origins.set(client, { ...opts, credentials: creds, userAgent });
  return client;
}
