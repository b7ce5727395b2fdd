// The world the controller tests run in, all real: a Kubernetes control plane with
// controller-manager, scheduler and kwok (so Deployments and Jobs progress), a PostgreSQL
// server, a SeaweedFS S3 store with IAM, and one Redis per tenant. The operator runs in this
// process; tests start and stop it.
import {
  createClient,
  createLogger,
  isLogLevel,
  Event,
  isAlreadyExists,
  Namespace,
  Secret,
  type Client,
  type Condition,
} from '@tugboat/runtime';
import {
  startControlPlane,
  startPostgres,
  startRedis,
  startS3,
  type ControlPlane,
  type PostgresServer as PostgresProcess,
  type RedisServer,
  type S3Server,
} from '@tugboat/testenv';
import { ObjectStore } from '../src/api/object-store.js';
import { PostgresServer } from '../src/api/postgres-server.js';
import { Registry, type RegistrySpecInput } from '../src/api/registry.js';
import { installHarborCRDs, startHarborOperator, type HarborOperator, type HarborOperatorOptions } from '../src/operator.js';
import type { PostgresConnection } from '../src/provision/postgres.js';
import type { ObjectStoreConnection } from '../src/provision/s3.js';
import { generateHarborSecrets } from '../src/render/secrets.js';
import { eventually as eventuallyWithin } from '@tugboat/testenv';

/** Harbor tenants converge through several services; give them two minutes. */
export function eventually<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return eventuallyWithin(what, fn, timeoutMs, 250);
}


export interface HarborEnv {
  cp: ControlPlane;
  client: Client;
  pg: PostgresProcess;
  s3: S3Server;
  pgAdmin: PostgresConnection;
  s3Admin: ObjectStoreConnection;
  redis: Map<string, RedisServer>;
  operator: HarborOperator | undefined;
  startOperator(extra?: HarborOperatorOptions): Promise<HarborOperator>;
  stopOperator(): Promise<void>;
  /** A namespace with its own Redis and the Secret holding its password. */
  tenantNamespace(ns: string): Promise<RedisServer>;
  registrySpec(ns: string, overrides?: Partial<RegistrySpecInput>): RegistrySpecInput;
  createRegistry(ns: string, name: string, overrides?: Partial<RegistrySpecInput>): Promise<void>;
  getRegistry(ns: string, name: string): Promise<Registry>;
  waitForCondition(ns: string, name: string, type: string, status: 'True' | 'False' | 'Unknown', timeoutMs?: number): Promise<Registry>;
  events(ns: string, regarding: string): Promise<Event[]>;
  stop(): Promise<void>;
}

export const serverName = 'shared';
const adminNamespace = 'tugboat-system';

export function condition(r: Registry | undefined, type: string): Condition | undefined {
  return r?.status?.conditions?.find((c) => c.type === type);
}

async function ensureNamespace(client: Client, name: string): Promise<void> {
  try {
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

// A 2048-bit token key instead of 4096: same code path, a fraction of the key generation time.
const fastSecrets = () => generateHarborSecrets({ tokenKeyBits: 2048 });

export async function startHarborEnv(): Promise<HarborEnv> {
  const [cp, pg, s3] = await Promise.all([startControlPlane({ controllers: true, nodes: 1 }), startPostgres(), startS3()]);
  const client = await createClient({ kubeconfig: cp.kubeconfigPath });
  const redis = new Map<string, RedisServer>();
  const pgAdmin: PostgresConnection = { host: pg.host, port: pg.port, user: pg.adminUser, password: pg.adminPassword, database: 'postgres', sslMode: 'disable' };
  const s3Admin: ObjectStoreConnection = { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKey: s3.accessKey, secretKey: s3.secretKey };

  // The CRDs go in before anything names them; operator starts apply them again (a no-op).
  await installHarborCRDs(client);

  const env: HarborEnv = {
    cp,
    client,
    pg,
    s3,
    pgAdmin,
    s3Admin,
    redis,
    operator: undefined,
    async startOperator(extra = {}) {
      env.operator = await startHarborOperator({
        kubeconfig: cp.kubeconfigPath,
        leaderElection: false,
        installCRDs: true,
        inCluster: false,
        probeIntervalMs: 5_000,
        retryIntervalMs: 1_000,
        generateSecrets: fastSecrets,
        // Errors and warnings only: a passing run stays readable; TUGBOAT_LOG_LEVEL=debug shows all.
        log: createLogger({ level: isLogLevel(process.env['TUGBOAT_LOG_LEVEL']) ? process.env['TUGBOAT_LOG_LEVEL'] : 'warn' }),
        ...extra,
      });
      return env.operator;
    },
    async stopOperator() {
      await env.operator?.stop();
      env.operator = undefined;
    },
    async tenantNamespace(ns) {
      // One Redis per namespace: a second server would replace the first in the map, and the
      // first, never stopped, would keep the test process alive after its last test.
      const existing = redis.get(ns);
      if (existing) return existing;
      await ensureNamespace(client, ns);
      const password = `redis-${ns}-${Math.random().toString(36).slice(2)}`;
      const r = await startRedis({ password });
      redis.set(ns, r);
      await client.apply(
        Secret,
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tenant-redis', namespace: ns }, stringData: { password } },
        { fieldManager: 'test' },
      );
      return r;
    },
    registrySpec(ns, overrides = {}) {
      const r = redis.get(ns);
      if (!r) throw new Error(`no Redis for namespace ${ns}: call tenantNamespace first`);
      return {
        version: '2.15.2',
        expose: { ingress: { host: `registry.${ns}.example` } },
        database: { serverRef: { name: serverName } },
        storage: { objectStoreRef: { name: serverName } },
        cache: { mode: 'External', external: { host: r.host, port: r.port, passwordSecretRef: { name: 'tenant-redis', key: 'password' } } },
        ...overrides,
      };
    },
    async createRegistry(ns, name, overrides = {}) {
      await client.create(Registry, Registry.make({ metadata: { name, namespace: ns }, spec: env.registrySpec(ns, overrides) }));
    },
    getRegistry: (ns, name) => client.get(Registry, { namespace: ns, name }),
    async waitForCondition(ns, name, type, status, timeoutMs = 120_000) {
      let seen: Registry | undefined;
      try {
        return await eventually(`Registry ${ns}/${name} ${type}=${status}`, async () => {
          const r = await env.getRegistry(ns, name);
          seen = r;
          const c = condition(r, type);
          return c?.status === status && c.observedGeneration === r.metadata.generation ? r : undefined;
        }, timeoutMs);
      } catch (e) {
        // What the Registry said last is what tells a slow convergence from a stuck one.
        const said = (seen?.status?.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join(' | ');
        throw new Error(`${e instanceof Error ? e.message : String(e)}; generation ${seen?.metadata.generation}, last conditions: ${said || 'none'}`, { cause: e });
      }
    },
    async events(ns, regarding) {
      const list = await client.list(Event, { namespace: ns });
      return list.items.filter((e) => e.regarding?.name === regarding);
    },
    async stop() {
      await env.stopOperator();
      await client.close();
      await Promise.allSettled([cp.stop(), pg.stop(), s3.stop(), ...[...redis.values()].map((r) => r.stop())]);
    },
  };

  await ensureNamespace(client, adminNamespace);
  await client.apply(
    Secret,
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'postgres-admin', namespace: adminNamespace }, stringData: { username: pg.adminUser, password: pg.adminPassword } },
    { fieldManager: 'test' },
  );
  await client.apply(
    Secret,
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's3-admin', namespace: adminNamespace }, stringData: { accessKey: s3.accessKey, secretKey: s3.secretKey } },
    { fieldManager: 'test' },
  );
  return env;
}

/** Registers the shared PostgresServer and ObjectStore (after the CRDs exist). */
export async function registerSharedServices(env: HarborEnv): Promise<void> {
  await env.client.create(
    PostgresServer,
    PostgresServer.make({
      metadata: { name: serverName },
      spec: { host: env.pg.host, port: env.pg.port, sslMode: 'disable', adminCredentials: { secretRef: { name: 'postgres-admin', namespace: adminNamespace } } },
    }),
  );
  await env.client.create(
    ObjectStore,
    ObjectStore.make({
      metadata: { name: serverName },
      spec: { endpoint: env.s3.endpoint, adminCredentials: { secretRef: { name: 's3-admin', namespace: adminNamespace } } },
    }),
  );
}
