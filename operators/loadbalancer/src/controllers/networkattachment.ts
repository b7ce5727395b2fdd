// Multus: the NetworkAttachmentDefinition (k8s.cni.cncf.io/v1) an IPPool's addresses live on,
// and the pod annotation that asks Multus for a second interface with a static address. The
// CRD is Multus's own; it is declared here so tests and the demo can install it on a cluster
// without Multus (the objects are then inert, but their content is what a real cluster gets).
import { defineKind, type CustomResourceDefinition, type KubeObject } from '@tugboat/runtime';

export interface NetworkAttachmentDefinition extends KubeObject {
  spec?: { config?: string };
}

export const NetworkAttachmentDefinition = defineKind<NetworkAttachmentDefinition>({
  group: 'k8s.cni.cncf.io',
  version: 'v1',
  kind: 'NetworkAttachmentDefinition',
  plural: 'network-attachment-definitions',
  namespaced: true,
});

/** The pod annotation Multus reads (JSON form, so each attachment can carry static `ips`). */
export const networksAnnotation = 'k8s.v1.cni.cncf.io/networks';

/** Multus's CRD, as its deployment manifests define it. */
export const networkAttachmentDefinitionCrd: CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'network-attachment-definitions.k8s.cni.cncf.io' },
  spec: {
    group: 'k8s.cni.cncf.io',
    scope: 'Namespaced',
    names: { plural: 'network-attachment-definitions', singular: 'network-attachment-definition', kind: 'NetworkAttachmentDefinition', shortNames: ['net-attach-def'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            description: 'NetworkAttachmentDefinition is a CRD schema specified by the Network Plumbing Working Group to express the intent for attaching pods to one or more logical or physical networks.',
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                description: 'NetworkAttachmentDefinition spec defines the desired state of a network attachment',
                type: 'object',
                properties: { config: { description: 'NetworkAttachmentDefinition config is a JSON-formatted CNI configuration', type: 'string' } },
              },
            },
          },
        },
      },
    ],
  },
};

export interface AttachmentNetwork {
  type: 'macvlan' | 'ipvlan';
  master: string;
  gateway?: string | undefined;
}

/**
 * The CNI configuration of a pool's attachment: macvlan/ipvlan on the host interface with
 * `static` IPAM, and the `ips` capability on, so each pod's address comes from its annotation
 * (the operator's allocation) rather than from an IPAM plugin with its own idea of who has what.
 */
export function attachmentConfig(name: string, net: AttachmentNetwork): string {
  const ipam: Record<string, unknown> = { type: 'static' };
  if (net.gateway !== undefined) ipam.routes = [{ dst: net.gateway.includes(':') ? '::/0' : '0.0.0.0/0', gw: net.gateway }];
  const plugin: Record<string, unknown> = { type: net.type, master: net.master, mode: net.type === 'macvlan' ? 'bridge' : 'l2', capabilities: { ips: true }, ipam };
  return JSON.stringify({ cniVersion: '0.3.1', name, plugins: [plugin] });
}

export interface NetworkSelection {
  name: string;
  namespace: string;
  /** Addresses with prefix length, e.g. 192.0.2.7/24. */
  ips: string[];
  interface?: string;
}

/** The value of the `k8s.v1.cni.cncf.io/networks` annotation (JSON form). */
export function networksAnnotationValue(selections: readonly NetworkSelection[]): string {
  return JSON.stringify(selections.map((s) => ({ name: s.name, namespace: s.namespace, ips: s.ips, ...(s.interface ? { interface: s.interface } : {}) })));
}
