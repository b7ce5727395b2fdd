// NetworkPolicies (spec.networkPolicies.enabled): each component accepts only the traffic it
// needs. Core and portal take HTTP from anywhere (the ingress controller lives in some other
// namespace); the internal components — registry, jobservice, Trivy and Redis — only from this
// Registry's own pods, so no other tenant's pods can reach its cache or its registry directly.
import type { NetworkPolicy, NetworkPolicyPeer } from '@tugboat/runtime/kinds';
import type { RenderInput } from './input.js';
import { ports } from './endpoints.js';
import { selectorLabels, type Component } from './labels.js';
import { objectName } from './names.js';
import { meta, ownerOf } from './workload.js';

function policy(input: RenderInput, component: Component, rules: NonNullable<NetworkPolicy['spec']>['ingress']): NetworkPolicy {
  const name = input.registry.name;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(ownerOf(input), objectName(name, `${component}-netpol`), component),
    spec: { podSelector: { matchLabels: selectorLabels(name, component) }, policyTypes: ['Ingress'], ingress: rules ?? [] },
  };
}

export function renderNetworkPolicies(input: RenderInput): NetworkPolicy[] {
  const { spec } = input.registry;
  if (!spec.networkPolicies.enabled) return [];
  const name = input.registry.name;
  const from = (...components: Component[]): NetworkPolicyPeer[] =>
    components.map((c) => ({ podSelector: { matchLabels: selectorLabels(name, c) } }));
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  const metricsFromAnywhere = spec.components.exporter.enabled ? [{ ports: [tcp(ports.metrics)] }] : [];

  const out: NetworkPolicy[] = [
    policy(input, 'core', [{ ports: [tcp(ports.core)] }, ...metricsFromAnywhere]),
    policy(input, 'portal', [{ ports: [tcp(ports.portal)] }]),
    policy(input, 'jobservice', [{ from: from('core', 'jobservice', 'exporter'), ports: [tcp(ports.jobservice)] }, ...metricsFromAnywhere]),
    policy(input, 'registry', [
      { from: from('core', 'jobservice'), ports: [tcp(ports.registry), tcp(ports.registryctl)] },
      ...(spec.components.exporter.enabled ? [{ ports: [tcp(ports.registryDebug)] }] : []),
    ]),
  ];
  if (spec.components.trivy.enabled) {
    out.push(policy(input, 'trivy', [{ from: from('core', 'jobservice'), ports: [tcp(ports.trivy)] }]));
  }
  if (spec.components.exporter.enabled) {
    out.push(policy(input, 'exporter', [{ ports: [tcp(ports.exporter)] }]));
  }
  if (spec.cache.mode === 'Dedicated') {
    out.push(policy(input, 'redis', [{ from: from('core', 'jobservice', 'registry', 'trivy', 'exporter'), ports: [tcp(ports.redis)] }]));
  }
  return out;
}
