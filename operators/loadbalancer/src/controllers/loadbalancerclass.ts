// The LoadBalancerClass controller: drives a class-wide change through the fleet. It reads its
// members' statuses (which class generation each runs, whether it has settled there), asks the
// rollout gate (rollout.ts) for the next step and records the answer in the class status; the
// LoadBalancer controller admits exactly the LBs named in `status.rollout.batch`. One worker
// and one writer per class, so admission can never race past the policy.
import { controller, type ControllerDefinition, type Result } from '@tugboat/runtime';
import type { LoadBalancer } from '../api/loadbalancer.js';
import { LoadBalancer as LoadBalancerKind } from '../api/loadbalancer.js';
import { LoadBalancerClass, type LoadBalancerClass as LoadBalancerClassObject } from '../api/loadbalancerclass.js';
import { lbIndexes, type FleetCaches } from './caches.js';
import { mergeConditions } from './lbstatus.js';
import { planRollout, type RolloutDecision, type RolloutMember } from './rollout.js';

export const classControllerName = 'loadbalancerclass';

type ClassStatus = NonNullable<LoadBalancerClassObject['status']>;

/** Ready and done progressing, for the spec it was last given. */
export function isSettled(lb: LoadBalancer): boolean {
  const s = lb.status;
  if (s === undefined || s.observedGeneration !== lb.metadata.generation) return false;
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  return ready?.status === 'True' && progressing?.status === 'False';
}

export function rolloutMember(lb: LoadBalancer): RolloutMember {
  return { key: `${lb.metadata.namespace ?? ''}/${lb.metadata.name ?? ''}`, generation: lb.status?.classGeneration, settled: isSettled(lb) };
}

function describe(d: RolloutDecision, generation: number): { progressing: { status: 'True' | 'False'; reason: string; message: string }; degraded: { status: 'True' | 'False'; reason: string; message: string } } {
  const progress = `${d.updated} of ${d.total} load balancers run generation ${generation}`;
  const failedList = d.state.failedLoadBalancers.slice(0, 10).join(', ') + (d.state.failedLoadBalancers.length > 10 ? ', …' : '');
  const degraded =
    d.failed === 0
      ? { status: 'False' as const, reason: 'AsExpected', message: 'no updated load balancer failed' }
      : d.phase === 'Halted'
        ? {
            status: 'True' as const,
            reason: 'RolloutHalted',
            message: `${d.failed} updated load balancer(s) did not become ready within rollout.progressDeadline (${failedList}), more than rollout.maxFailurePercent allows; the rollout stopped. Fix the cause (kubectl describe lb), then edit this class to start a new rollout`,
          }
        : { status: 'True' as const, reason: 'UpdatesFailed', message: `${d.failed} updated load balancer(s) did not become ready within rollout.progressDeadline: ${failedList}` };
  switch (d.phase) {
    case 'Complete':
      return { progressing: { status: 'False', reason: 'RolloutComplete', message: progress }, degraded };
    case 'Halted':
      return { progressing: { status: 'False', reason: 'RolloutHalted', message: `${progress}; ${d.pending} not updated` }, degraded };
    case 'Pausing':
      return { progressing: { status: 'True', reason: 'BatchPause', message: `${progress}; ${d.pending} waiting, next batch after rollout.batchPause` }, degraded };
    default:
      return {
        progressing: { status: 'True', reason: 'BatchInProgress', message: `${progress}; updating ${d.state.batch.join(', ')}; ${d.pending} waiting` },
        degraded,
      };
  }
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
      const text = describe(decision, generation);
      const rollout: NonNullable<ClassStatus['rollout']> = {
        generation: decision.state.generation,
        batch: decision.state.batch,
        failedLoadBalancers: decision.state.failedLoadBalancers,
        halted: decision.state.halted,
      };
      if (decision.state.batchStartedAt !== undefined) rollout.batchStartedAt = decision.state.batchStartedAt;
      if (decision.state.lastBatchFinishedAt !== undefined) rollout.lastBatchFinishedAt = decision.state.lastBatchFinishedAt;
      const status: ClassStatus = {
        observedGeneration: generation,
        loadBalancers: decision.total,
        updated: decision.updated,
        failed: decision.failed,
        rollout,
        conditions: mergeConditions(
          cls.status?.conditions,
          [
            { type: 'Progressing', ...text.progressing },
            { type: 'Degraded', ...text.degraded },
          ],
          generation,
          new Date().toISOString(),
        ),
      };
      await ctx.applyStatus(cls, status);
      return decision.requeueAfterMs !== undefined ? { requeueAfter: decision.requeueAfterMs } : undefined;
    });
}
