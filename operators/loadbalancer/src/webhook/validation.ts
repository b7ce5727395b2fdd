// The validating webhook: the cross-field rules the schema and CEL cannot hold (unique listener
// ports across the list, pool references, TLS Secrets that exist, pools that do not shrink
// under allocated addresses), checked before anything is stored. The rules themselves are pure
// (api/validate.ts); this file gathers what they need from the cluster and turns their field
// errors into the 422 Invalid response kubectl prints as `<field>: <message>`.
import { allowed, denied, type AdmissionRequest, type Verdict } from '@tugboat/runtime/admission';
import type { WebhookServer } from '@tugboat/runtime/webhook';
import { isNotFound, Secret, type Client } from '@tugboat/runtime';
import { IPAllocation, poolLabel } from '../api/ipallocation.js';
import { IPPool } from '../api/ippool.js';
import { LoadBalancer } from '../api/loadbalancer.js';
import { LoadBalancerClass } from '../api/loadbalancerclass.js';
import { validateIPPoolSpec, validateLoadBalancerSpec, type FieldError } from '../api/validate.js';
import { parsePool, poolContains } from '../ipam/allocator.js';

function verdictOf(kind: string, errors: readonly FieldError[], warnings: string[] = []): Verdict {
  if (errors.length === 0) return allowed(warnings);
  const v = denied(
    `${kind} is invalid`,
    errors.map((e) => ({ field: e.path, message: e.message, reason: 'FieldValueInvalid' })),
  );
  return warnings.length > 0 ? { ...v, warnings } : v;
}

/** Secret names referenced by HTTPS listeners, read from the raw object (the schema already ran). */
function referencedSecrets(spec: unknown): string[] {
  const listeners = (spec as { listeners?: { tls?: { certificates?: { secretRef?: { name?: unknown } }[] } }[] } | undefined)?.listeners ?? [];
  const names = new Set<string>();
  for (const l of listeners) for (const c of l.tls?.certificates ?? []) if (typeof c.secretRef?.name === 'string') names.add(c.secretRef.name);
  return [...names];
}

async function existingSecrets(client: Client, namespace: string, names: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  // Metadata only: the webhook needs to know a Secret exists, never what is in it.
  await Promise.all(
    names.map(async (name) => {
      const list = await client.list(Secret, { namespace, fieldSelector: `metadata.name=${name}`, metadataOnly: true });
      if (list.items.length > 0) found.add(name);
    }),
  );
  return found;
}

async function exists(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

export async function validateLoadBalancerAdmission(client: Client, req: AdmissionRequest<LoadBalancer>): Promise<Verdict> {
  const lb = req.object;
  if (lb === undefined) return allowed();
  const namespace = lb.metadata.namespace ?? req.namespace ?? '';
  const secretNames = await existingSecrets(client, namespace, referencedSecrets(lb.spec));
  const errors = validateLoadBalancerSpec(lb.spec, { secretNames });
  const old = req.oldObject;
  if (req.operation === 'UPDATE' && old !== undefined && old.status?.address !== undefined) {
    // The address is held in the old pool; moving it would need a second address first.
    if (old.spec.ipPool !== lb.spec.ipPool) {
      errors.push({
        path: 'spec.ipPool',
        message: `cannot change from "${old.spec.ipPool}" once address ${old.status.address} is allocated; create a new LoadBalancer on pool "${lb.spec.ipPool}" and delete this one`,
      });
    }
    if (lb.spec.address !== undefined && lb.spec.address !== old.status.address) {
      errors.push({
        path: 'spec.address',
        message: `cannot change once address ${old.status.address} is allocated; remove the field or set it to ${old.status.address}, or create a new LoadBalancer for the other address`,
      });
    }
  }
  const warnings: string[] = [];
  if (errors.length === 0) {
    if (!(await exists(() => client.get(IPPool, { name: lb.spec.ipPool })))) {
      warnings.push(`IPPool "${lb.spec.ipPool}" does not exist yet: the load balancer gets no address until it is created`);
    }
    if (lb.spec.className !== 'default' && !(await exists(() => client.get(LoadBalancerClass, { name: lb.spec.className })))) {
      warnings.push(`LoadBalancerClass "${lb.spec.className}" does not exist yet: the load balancer waits for it`);
    }
  }
  return verdictOf('LoadBalancer', errors, warnings);
}

export async function validateIPPoolAdmission(client: Client, req: AdmissionRequest<IPPool>): Promise<Verdict> {
  const pool = req.object;
  if (pool === undefined) return allowed();
  const errors = validateIPPoolSpec(pool.spec);
  if (errors.length === 0 && req.operation === 'UPDATE') {
    const parsed = parsePool({ addresses: pool.spec.addresses, exclude: pool.spec.exclude });
    if (parsed.ok) {
      const name = pool.metadata.name ?? '';
      const held = await client.listAll(IPAllocation, { labelSelector: `${poolLabel}=${name}` });
      const stranded = held.items.filter((a) => a.spec.pool === name && !poolContains(parsed.pool, a.spec.address));
      if (stranded.length > 0) {
        const owners = stranded.slice(0, 5).map((a) => `${a.spec.address} (${a.spec.owner.namespace}/${a.spec.owner.name})`).join(', ');
        errors.push({
          path: 'spec.addresses',
          message: `${stranded.length} allocated address(es) would leave the pool: ${owners}${stranded.length > 5 ? ', …' : ''}; delete those load balancers first or keep the addresses in the pool`,
        });
      }
    }
  }
  return verdictOf('IPPool', errors);
}

/** Registers the operator's validating webhooks on a runtime webhook server. */
export function registerValidation(server: WebhookServer, client: Client): void {
  server.validate(LoadBalancer, (req) => validateLoadBalancerAdmission(client, req));
  server.validate(IPPool, (req) => validateIPPoolAdmission(client, req));
}
