// Spec fixtures shared by the renderer and agent tests.
import { loadBalancerSpecSchema, type LoadBalancerSpec, type LoadBalancerSpecInput } from '../../src/api/loadbalancer.js';
import { builtinClassSpec } from '../../src/api/loadbalancerclass.js';
import type { RenderInput } from '../../src/render/haproxy.js';

export function spec(input: LoadBalancerSpecInput): LoadBalancerSpec {
  return loadBalancerSpecSchema.parse(input);
}

/** Two HTTP backends behind one HTTP listener. */
export function httpSpec(port: number, members: { address: string; port: number; weight?: number }[]): LoadBalancerSpec {
  return spec({
    ipPool: 'loopback',
    listeners: [{ name: 'web', port, protocol: 'HTTP', defaultPool: 'app' }],
    pools: [{ name: 'app', members }],
  });
}

export function renderInput(s: LoadBalancerSpec, over: Partial<RenderInput> = {}): RenderInput {
  return {
    namespace: 'default',
    name: 'demo',
    spec: s,
    classSpec: builtinClassSpec,
    bindAddresses: ['127.0.0.1'],
    runtime: { adminSocket: '/run/tugboat/haproxy.sock', statsAddress: '127.0.0.1', statsPort: 8404 },
    ...over,
  };
}
