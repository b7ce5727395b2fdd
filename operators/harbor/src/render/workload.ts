// Shared shapes of the workloads the renderer emits: object metadata, Deployments, Services,
// probes, and the security and scheduling settings every Harbor pod gets.
import type {
  ConfigMap,
  Container,
  Deployment,
  PodSpec,
  Probe,
  ResourceRequirements,
  Secret,
  Service,
  ServicePort,
} from '@tugboat/runtime/kinds';
import type { ObjectMeta } from '@tugboat/runtime/object';
import type { WorkloadSpec } from '../api/common.js';
import { checksumAnnotation } from './checksum.js';
import { labels, selectorLabels, type Component } from './labels.js';

export interface Owner {
  /** The Registry's name and namespace. */
  name: string;
  namespace: string;
  version: string;
}

export function meta(owner: Owner, name: string, component: Component, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return { name, namespace: owner.namespace, labels: labels(owner.name, component, owner.version), ...extra };
}

/** Harbor's images run as uid 10000; pods run unprivileged and without a service account token. */
export const harborPodSecurity = {
  runAsUser: 10000,
  runAsGroup: 10000,
  fsGroup: 10000,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
};

export const containerSecurity = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

function quantities(m: Record<string, string | number> | undefined): Record<string, string> | undefined {
  if (!m) return undefined;
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
}

export function resourcesOf(r: { requests?: Record<string, string | number>; limits?: Record<string, string | number> } | undefined): ResourceRequirements | undefined {
  if (!r || (!r.requests && !r.limits)) return undefined;
  const out: ResourceRequirements = {};
  const requests = quantities(r.requests);
  const limits = quantities(r.limits);
  if (requests) out.requests = requests;
  if (limits) out.limits = limits;
  return out;
}

/** The placement fields of a component spec, as PodSpec fields (only those that are set). */
export function scheduling(w: Partial<WorkloadSpec>): Partial<PodSpec> {
  const out: Partial<PodSpec> = {};
  if (w.affinity) out.affinity = w.affinity;
  if (w.nodeSelector) out.nodeSelector = w.nodeSelector;
  if (w.tolerations) out.tolerations = w.tolerations;
  if (w.priorityClassName) out.priorityClassName = w.priorityClassName;
  return out;
}

export function httpProbe(path: string, port: number, periodSeconds = 10): Probe {
  return { httpGet: { path, port, scheme: 'HTTP' }, periodSeconds, timeoutSeconds: 5, failureThreshold: 3 };
}

export function container(c: Container): Container {
  return { imagePullPolicy: 'IfNotPresent', securityContext: containerSecurity, ...c };
}

/** PodSpec fields the runtime's minimal PodSpec type leaves out. */
export type HarborPodSpec = PodSpec & {
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: { name: string }[];
};

export interface DeploymentOptions {
  owner: Owner;
  name: string;
  component: Component;
  replicas: number;
  checksum: string;
  pod: HarborPodSpec;
  strategy?: NonNullable<Deployment['spec']>['strategy'];
}

export function deployment(o: DeploymentOptions): Deployment {
  const pod: HarborPodSpec = { automountServiceAccountToken: false, securityContext: harborPodSecurity, ...o.pod };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(o.owner, o.name, o.component),
    spec: {
      replicas: o.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(o.owner.name, o.component) },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      template: {
        metadata: {
          labels: labels(o.owner.name, o.component, o.owner.version),
          annotations: { [checksumAnnotation]: o.checksum },
        },
        spec: pod,
      },
    },
  };
}

export function service(owner: Owner, name: string, component: Component, ports: ServicePort[]): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(owner, name, component),
    spec: { type: 'ClusterIP', selector: selectorLabels(owner.name, component), ports },
  };
}

export function configMap(owner: Owner, name: string, component: Component, data: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(owner, name, component), data };
}

export function secret(owner: Owner, name: string, component: Component, data: Record<string, string>, extra: Partial<ObjectMeta> = {}): Secret {
  const encoded = Object.fromEntries(
    Object.keys(data)
      .sort()
      .map((k) => [k, Buffer.from(data[k] as string, 'utf8').toString('base64')]),
  );
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(owner, name, component, extra), type: 'Opaque', data: encoded };
}

export function ownerOf(input: { registry: { name: string; namespace: string; spec: { version: string } } }): Owner {
  return { name: input.registry.name, namespace: input.registry.namespace, version: input.registry.spec.version };
}
