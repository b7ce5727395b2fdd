// The CustomResourceDefinitions the operator needs, and their installation. They are generated
// from the kinds' zod schemas (the runtime's CRD toolkit), so what the apiserver enforces is what
// the code types say. Multus's NetworkAttachmentDefinition CRD is included on request for
// clusters without Multus (tests, the demo).
import { sleep, CustomResourceDefinition, type Client } from '@tugboat/runtime';
import { IPAllocation } from '../api/ipallocation.js';
import { IPPool } from '../api/ippool.js';
import { LoadBalancer } from '../api/loadbalancer.js';
import { LoadBalancerClass } from '../api/loadbalancerclass.js';
import { networkAttachmentDefinitionCrd } from './networkattachment.js';

const crdLabels = { 'app.kubernetes.io/part-of': 'tugboat', 'app.kubernetes.io/managed-by': 'tugboat' };

/** The lb.tugboat.dev CRDs (and, with `multus`, the NetworkAttachmentDefinition CRD). */
export function loadBalancerCrds(opts: { multus?: boolean } = {}): CustomResourceDefinition[] {
  const crds = [LoadBalancer, IPPool, LoadBalancerClass, IPAllocation].map((k) => k.crd({ labels: crdLabels }));
  if (opts.multus) crds.push(structuredClone(networkAttachmentDefinitionCrd));
  return crds;
}

function established(crd: CustomResourceDefinition): boolean {
  return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

/** Applies the CRDs (server-side apply) and waits until the apiserver serves each of them. */
export async function installCrds(client: Client, crds: readonly CustomResourceDefinition[], opts: { timeoutMs?: number; fieldManager?: string } = {}): Promise<void> {
  const fieldManager = opts.fieldManager ?? 'tugboat-lb-operator';
  for (const crd of crds) {
    await client.apply(CustomResourceDefinition, { ...crd, metadata: { ...crd.metadata, name: crd.metadata.name ?? '' } }, { fieldManager, force: true });
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (const crd of crds) {
    const name = crd.metadata.name ?? '';
    for (;;) {
      if (established(await client.get(CustomResourceDefinition, { name }))) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} did not become Established in time`);
      await sleep(100);
    }
  }
}
