// PostgresServer status: whether the operator can log in with the admin credentials (a real
// login, `SHOW server_version`), which version answers, and how many Registries use it. The
// Registry controller does the tenants' work; this one tells the platform team, in
// `kubectl get postgresservers`, whether the shared server itself is usable.
import { apiVersionOf, controller, generationChanged, setConditions, type Cache, type ControllerDefinition, type ReconcileContext } from '@tugboat/runtime';
import { PostgresServer, type PostgresServerStatus } from '../api/postgres-server.js';
import { Registry } from '../api/registry.js';
import { connect } from '../provision/postgres.js';
import { registryIndex } from './registry-index.js';
import type { SecretSource } from './secret-reader.js';
import { postgresAdmin } from './shared-services.js';

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function postgresServerController(cache: Cache, opts: { probeIntervalMs?: number; cachedSecret?: SecretSource['cached'] } = {}): ControllerDefinition {
  const index = registryIndex(cache);
  return controller('postgres-server')
    .for(PostgresServer, { predicates: [generationChanged()] })
    // A tenant appearing or leaving changes the count.
    .watches(Registry, (r) => (r.spec?.database?.serverRef?.name ? { name: r.spec.database.serverRef.name } : undefined), { predicates: [generationChanged()] })
    .reconcile(async (req, ctx) => {
      const cached = await ctx.get(PostgresServer, req);
      if (!cached) return;
      const server: PostgresServer = { ...cached, apiVersion: apiVersionOf(PostgresServer), kind: 'PostgresServer' };
      const ready = await probe(server, ctx, opts.cachedSecret);
      const generation = server.metadata.generation;
      const conditions = setConditions(server.status?.conditions, [{ ...ready.condition, ...(generation !== undefined ? { observedGeneration: generation } : {}) }]).map((c) => ({
        ...c,
        reason: c.reason ?? '',
        message: c.message ?? '',
        lastTransitionTime: c.lastTransitionTime ?? '',
      }));
      const status: PostgresServerStatus = {
        ...server.status,
        conditions,
        tenants: index.usingPostgresServer(server.metadata.name ?? '').length,
        ...(ready.version ? { serverVersion: ready.version } : {}),
        ...(generation !== undefined ? { observedGeneration: generation } : {}),
      };
      await ctx.applyStatus(server, status);
      return { requeueAfter: opts.probeIntervalMs ?? 60_000 };
    });
}

async function probe(server: PostgresServer, ctx: ReconcileContext, cachedSecret: SecretSource['cached'] | undefined) {
  const name = server.metadata.name ?? '';
  const admin = await postgresAdmin({ cached: cachedSecret ?? (() => Promise.resolve(undefined)), client: ctx.client }, name, server);
  if (!admin.ok) return { condition: { type: 'Ready', status: 'False' as const, reason: admin.reason, message: admin.message }, version: undefined };
  const where = `${server.spec.host}:${server.spec.port}`;
  try {
    const client = await connect(admin.value, 5000);
    try {
      const r = await client.query<{ server_version: string }>('SHOW server_version');
      const version = r.rows[0]?.server_version;
      return {
        condition: { type: 'Ready', status: 'True' as const, reason: 'Connected', message: `logged in to ${where} as ${admin.value.user} (PostgreSQL ${version ?? 'unknown'})` },
        version,
      };
    } finally {
      await client.end();
    }
  } catch (e) {
    return {
      condition: {
        type: 'Ready',
        status: 'False' as const,
        reason: 'LoginFailed',
        message: `cannot log in to ${where} as ${admin.value.user}: ${text(e)}. Check the host, port, sslMode and the admin Secret`,
      },
      version: undefined,
    };
  }
}
