// CacheReady. The tenant's Redis is probed for real — an authenticated PING — wherever the
// operator can reach it:
//  - External: the Redis the user runs for this tenant, at spec.cache.external, with the
//    password from the user's Secret.
//  - Dedicated: the Redis Deployment the operator runs, through its Service's cluster DNS name.
//    Only an operator inside the cluster can reach that; one running outside (a developer's
//    machine, the demo, the tests on kwok, where the Redis pod is not even a process) cannot,
//    and then says so with CacheReady=Unknown instead of guessing from the Deployment. The
//    Deployment's readiness is reported in the message, as a hint, not as the verdict.
import type { RegistrySpec } from '../api/registry.js';
import { probeCache } from '../provision/probes.js';
import { ports } from '../render/endpoints.js';
import { registryNames } from '../render/names.js';
import type { DeploymentLike, ProbeResult } from './registry-conditions.js';
import { rolloutState } from './registry-conditions.js';
import { readSecret, secretValue, type SecretSource } from './secret-reader.js';

export interface CacheProbeOptions {
  /** Whether the operator can reach Services by their cluster DNS names (it runs in the cluster). */
  inCluster: boolean;
  /** The cluster's DNS domain, default cluster.local. */
  clusterDomain?: string;
}

/** The password of an External cache, from the user's Secret (undefined when none is named). */
export async function externalCachePassword(src: SecretSource, r: { namespace: string; spec: RegistrySpec }): Promise<{ ok: true; password: string | undefined } | { ok: false; probe: ProbeResult }> {
  const ref = r.spec.cache.external?.passwordSecretRef;
  if (!ref) return { ok: true, password: undefined };
  const secret = await readSecret(src, { namespace: r.namespace, name: ref.name });
  const password = secretValue(secret, ref.key);
  if (password === undefined) {
    return {
      ok: false,
      probe: {
        status: 'False',
        reason: 'PasswordSecretMissing',
        message: `spec.cache.external.passwordSecretRef: Secret ${r.namespace}/${ref.name} ${secret ? `has no key ${ref.key}` : 'does not exist'}; create it with the Redis password`,
      },
    };
  }
  return { ok: true, password };
}

export async function probeTenantCache(
  r: { name: string; namespace: string; spec: RegistrySpec },
  access: { externalPassword: string | undefined; dedicatedPassword: string; redisDeployment: DeploymentLike | undefined },
  opts: CacheProbeOptions,
): Promise<ProbeResult> {
  const ext = r.spec.cache.external;
  if (r.spec.cache.mode === 'External' && ext) {
    const p = await probeCache({ host: ext.host, port: ext.port, ...(access.externalPassword !== undefined ? { password: access.externalPassword } : {}) });
    return p.ok ? { status: 'True', reason: 'Pong', message: p.message } : { status: 'False', reason: p.reason, message: p.message };
  }
  const service = registryNames(r.name).redis;
  const host = `${service}.${r.namespace}.svc.${opts.clusterDomain ?? 'cluster.local'}`;
  const rollout = rolloutState(access.redisDeployment);
  const hint =
    rollout.state === 'Available'
      ? `its Deployment ${service} reports ${rollout.ready}/${rollout.desired} ready`
      : rollout.state === 'Missing'
        ? `its Deployment ${service} does not exist yet`
        : rollout.state === 'Failed'
          ? `its Deployment ${service} failed: ${rollout.message}`
          : `its Deployment ${service} has ${rollout.ready}/${rollout.desired} ready`;
  if (!opts.inCluster) {
    return {
      status: 'Unknown',
      reason: 'NotProbed',
      message: `the operator runs outside the cluster and cannot reach the dedicated Redis at ${host}:${ports.redis} to PING it (${hint}). Run the operator in the cluster, or use spec.cache.mode External with a Redis it can reach`,
    };
  }
  const p = await probeCache({ host, port: ports.redis, password: access.dedicatedPassword });
  return p.ok ? { status: 'True', reason: 'Pong', message: p.message } : { status: 'False', reason: p.reason, message: `${p.message} (${hint})` };
}

/**
 * Harbor core keeps its sessions and job queues in Redis database 0, so two tenants on one Redis
 * server would read each other's data. Of the Registries naming one External endpoint, the
 * first created keeps it (then namespace/name, so every replica decides alike); the others are
 * refused and never rendered against it. A refusal, not a shared Failed state: a newcomer must
 * not be able to take an existing tenant down by pointing at its Redis.
 */
export function externalCacheConflict(
  r: { name: string; namespace: string; uid: string; spec: RegistrySpec },
  users: readonly { metadata: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string } }[],
): ProbeResult | undefined {
  const ext = r.spec.cache.mode === 'External' ? r.spec.cache.external : undefined;
  if (!ext) return undefined;
  const order = (u: (typeof users)[number]) => `${u.metadata.creationTimestamp ?? '9999'}\u0000${u.metadata.namespace ?? ''}/${u.metadata.name ?? ''}`;
  const first = [...users].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))[0];
  if (first === undefined || first.metadata.uid === r.uid) return undefined;
  return {
    status: 'False',
    reason: 'CacheInUse',
    message:
      `spec.cache.external ${ext.host}:${ext.port} is already the cache of another Registry. Harbor keeps its data in Redis database 0, ` +
      `so tenants cannot share a Redis server; components are not created against it. Point spec.cache.external at a Redis of this Registry's own, or use spec.cache.mode Dedicated`,
  };
}
