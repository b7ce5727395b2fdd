// @tugboat/loadbalancer-operator: load balancers as a service on HAProxy pods.
// The kinds (and their CRDs: `tugboat generate crds --from operators/loadbalancer/src/index.ts`),
// the pure renderer and validation, the operator, and the webhook.
export { LoadBalancer, lbGroup, loadBalancerSpecSchema, loadBalancerStatusSchema } from './api/loadbalancer.js';
export type { LoadBalancerSpec, LoadBalancerSpecInput, LoadBalancerStatus, Listener, Pool, Member, L7Policy, L7Rule, HealthMonitor } from './api/loadbalancer.js';
export { IPPool, ipPoolSpecSchema, ipPoolStatusSchema } from './api/ippool.js';
export type { IPPoolSpec, IPPoolStatus, Allocation } from './api/ippool.js';
export { LoadBalancerClass, builtinClassSpec, loadBalancerClassSpecSchema, defaultSizes } from './api/loadbalancerclass.js';
export type { LoadBalancerClassSpec, RolloutPolicy } from './api/loadbalancerclass.js';
export { IPAllocation, allocationName, ownerUidLabel, poolLabel } from './api/ipallocation.js';
export type { IPAllocationSpec } from './api/ipallocation.js';
export { appliedHashAnnotation, rejectedAnnotation } from './api/annotations.js';
export { validateLoadBalancerSpec, validateIPPoolSpec, type FieldError } from './api/validate.js';
export { renderHaproxyConfig, type RenderInput, type RenderedConfig, type Endpoint } from './render/haproxy.js';
export { startOperator, defaultAgentImage, type Operator, type OperatorOptions } from './controllers/operator.js';
export { installCrds, loadBalancerCrds } from './controllers/crds.js';
export { NetworkAttachmentDefinition, networkAttachmentDefinitionCrd, networksAnnotation } from './controllers/networkattachment.js';
export { planRollout, isAdmitted, type RolloutDecision, type RolloutMember, type RolloutState } from './controllers/rollout.js';
export { registerValidation } from './webhook/validation.js';
