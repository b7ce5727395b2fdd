// The LoadBalancerClass controller: drives a class-wide change through the fleet. It reads its
// members' statuses (which class generation each runs, whether it has settled there), asks the
// rollout gate (rollout.ts) for the next step and records the answer in the class status
// (classstatus.ts); the LoadBalancer controller admits exactly the LBs whose key sorts at or
// before `status.rollout.admittedThrough`. One worker and one writer per class, so admission
// can never race past the policy.
import { controller, type ControllerDefinition, type Result } from '@tugboat/runtime';
import type { LoadBalancer } from '../api/loadbalancer.js';
import { LoadBalancer as LoadBalancerKind } from '../api/loadbalancer.js';
import { LoadBalancerClass } from '../api/loadbalancerclass.js';
import { lbIndexes, type FleetCaches } from './caches.js';
import { classStatus } from './classstatus.js';
import { planRollout, type RolloutMember } from './rollout.js';

export const classControllerName = 'loadbalancerclass';

/** Ready and done progressing, for the spec it was last given. */
export function isSettled(lb: LoadBalancer): boolean {
  const s = lb.status;
  if (s === undefined || s.observedGeneration !== lb.metadata.generation) return false;
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  return ready?.status === 'True' && progressing?.status === 'False';
}

export function rolloutMember(lb: LoadBalancer): RolloutMember {
  return {
    key: `${lb.metadata.namespace ?? ''}/${lb.metadata.name ?? ''}`,
    generation: lb.status?.classGeneration,
    settled: isSettled(lb),
    settledGeneration: lb.status?.settledClassGeneration,
  };
}

export function loadBalancerClassController(opts: { caches: FleetCaches }): ControllerDefinition {
  const lbs = opts.caches.loadBalancers.store;
  return controller(classControllerName)
    .for(LoadBalancerClass)
    .watches(LoadBalancerKind, (lb) => ({ name: lb.spec.className }))
    .reconcile(async (req, ctx): Promise<Result> => {
      const cls = await ctx.get(LoadBalancerClass, req);
      if (cls === undefined) return undefined;
      const generation = cls.metadata.generation ?? 0;
      const members = lbs.byIndex(lbIndexes.byClass, cls.metadata.name ?? '').map(rolloutMember);
      const decision = planRollout({ generation, policy: cls.spec.rollout, members, previous: cls.status?.rollout, now: Date.now() });
      await ctx.applyStatus(cls, classStatus({ decision, generation, previous: cls.status?.conditions, now: new Date().toISOString() }));
      return decision.requeueAfterMs !== undefined ? { requeueAfter: decision.requeueAfterMs } : undefined;
    });
}
