// Names and labels of the objects the operator creates for a load balancer. A LoadBalancer's
// name may be 253 characters, but label values stop at 63 and pod names are built by appending
// to the Deployment's name, so both are shortened with a hash of the full name when too long:
// still unique, still recognisable.
import { truncateName } from '@tugboat/runtime/names';

export { childName } from '@tugboat/runtime/names';

/** The load balancer's name as a label value (at most 63 characters). */
export function lbLabelValue(lbName: string): string {
  return truncateName(lbName, 63);
}

/** Label on every object made for a load balancer; its value is lbLabelValue(name). */
export const lbLabel = 'lb.tugboat.dev/loadbalancer';
/** Label on LB Deployments: the LoadBalancerClass, so a class finds its members' workloads. */
export const classLabel = 'lb.tugboat.dev/class';
/** The agent's report on its pod (the applied hash, a refused configuration): api/annotations.ts. */
export { appliedHashAnnotation, rejectedAnnotation } from '../api/annotations.js';
/** ConfigMap annotation: hash of the rendered configuration it holds. */
export const configHashAnnotation = 'lb.tugboat.dev/config-hash';
/** Deployment annotation: the class generation its pods are rendered from. */
export const classGenerationAnnotation = 'lb.tugboat.dev/class-generation';
/** Deployment annotation: the class spec of that generation, to render with while a rollout holds the LB back. */
export const classSpecAnnotation = 'lb.tugboat.dev/class-spec';
/** Finalizer that releases an LB's addresses before it goes away. */
export const releaseFinalizer = 'lb.tugboat.dev/release-addresses';

export function standardLabels(lbName: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'tugboat-loadbalancer',
    'app.kubernetes.io/instance': lbLabelValue(lbName),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'tugboat',
    'app.kubernetes.io/managed-by': 'tugboat',
    [lbLabel]: lbLabelValue(lbName),
  };
}
