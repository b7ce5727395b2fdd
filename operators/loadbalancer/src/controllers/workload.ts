// What runs a load balancer in the cluster, built from the rendered configuration: a ConfigMap
// with the configuration bundle, a Deployment of HAProxy pods, and a PodDisruptionBudget. No
// Service: a cluster holds ~10k Services, a fleet holds far more LBs, and an LB is reached on
// its own address (a Multus interface), not through kube-proxy. Pure, so a no-op reconcile
// builds byte-identical objects and the apply layer can see that nothing changed.
//
// Pod layout: HAProxy's master must be the agent's child (the agent starts it, reloads it
// through the master CLI and reads the outcome), so both run in one container of the class's
// HAProxy image, which pins the HAProxy version. The agent executable comes from the agent
// image through an init container and a shared emptyDir. The agent follows the ConfigMap
// through the API (no kubelet delay) and reports what it applied on its own pod; the same
// ConfigMap is mounted as a volume, which the agent follows while the API fails or refuses it
// (RBAC, network policy, apiserver down), so a pod that cannot reach the API still serves.
//
// The configuration hash is deliberately NOT on the pod template: a new hash would restart
// every replica, while the agent applies member changes through the runtime API and everything
// else with a hitless reload. The template changes only for what needs new pods (image,
// resources, address, certificates); listeners, members and policies are configuration.
import type { ApplyConfiguration, ConfigMap, Container, Deployment, OwnerReference, PodDisruptionBudget, Volume } from '@tugboat/runtime';
import type { LoadBalancerSpec } from '../api/loadbalancer.js';
import { defaultSizes, type LoadBalancerClassSpec } from '../api/loadbalancerclass.js';
import type { RenderedConfig, RuntimeEndpoints } from '../render/haproxy.js';
import { certificateSecretNames } from '../render/certificates.js';
import { agentServiceAccount } from './agentaccess.js';
import { networksAnnotation, networksAnnotationValue } from './networkattachment.js';
import {
  childName,
  classGenerationAnnotation,
  classLabel,
  classSpecAnnotation,
  configHashAnnotation,
  lbLabel,
  lbLabelValue,
  standardLabels,
} from './names.js';

export const podPaths = {
  agentBin: '/opt/tugboat/bin',
  workDir: '/var/run/tugboat-lb',
  configDir: '/etc/haproxy/tugboat',
  certsDir: '/etc/haproxy/certs',
  adminSocket: '/var/run/tugboat-lb/admin.sock',
} as const;
export const agentPort = 9101;
/**
 * The cluster-network pod IP (downward API `status.podIP`). HAProxy expands it in the stats
 * bind line, so stats never listen on the Multus interface that carries the public address.
 */
export const podIpVariable = 'POD_IP';

/** Where HAProxy in an LB pod puts its runtime socket and stats; the pod template provides both. */
export const podRuntime: RuntimeEndpoints = { adminSocket: podPaths.adminSocket, statsAddress: { environment: podIpVariable } };

export interface WorkloadInput {
  lb: { name: string; namespace: string; uid: string; spec: LoadBalancerSpec };
  className: string;
  classGeneration: number;
  classSpec: LoadBalancerClassSpec;
  /** The allocated address and the prefix length configured with it on the pod interface. */
  address: string;
  prefixLength: number;
  /** The pool's NetworkAttachmentDefinition; without one, pods get no extra interface. */
  attachment?: { name: string; namespace: string } | undefined;
  config: RenderedConfig;
  agentImage: string;
}

export interface Workload {
  configMap: ApplyConfiguration<ConfigMap>;
  deployment: ApplyConfiguration<Deployment>;
  podDisruptionBudget: ApplyConfiguration<PodDisruptionBudget>;
}

export function certificatePath(secretName: string): string {
  return `${podPaths.certsDir}/${secretName}/cert.pem`;
}

function intOrPercent(v: string): number | string {
  return v.endsWith('%') ? v : Number(v);
}

function ownerRef(lb: WorkloadInput['lb']): OwnerReference {
  return { apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', name: lb.name, uid: lb.uid, controller: true, blockOwnerDeletion: true };
}

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${sortedJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Class settings that shape the workload, stored on the Deployment (see rollout.ts). Keys are
 * sorted: the same settings read back from the apiserver or from this annotation must give the
 * same text, or the annotation alone would make every reconcile an apply.
 */
export function classSnapshot(spec: LoadBalancerClassSpec): string {
  const { rollout: _rollout, ...rest } = spec;
  return sortedJson(rest);
}

export function buildWorkload(input: WorkloadInput): Workload {
  const { lb, classSpec } = input;
  const name = childName(lb.name, 'haproxy');
  const configMapName = name;
  const size = classSpec.sizes?.[lb.spec.size] ?? defaultSizes[lb.spec.size];
  const selector = { [lbLabel]: lbLabelValue(lb.name), 'app.kubernetes.io/component': 'haproxy' };
  const labels = standardLabels(lb.name, 'haproxy');
  const owner = [ownerRef(lb)];

  const secrets = certificateSecretNames(lb.name, lb.spec);
  const volumes: Volume[] = [
    { name: 'agent-bin', emptyDir: {} },
    { name: 'work', emptyDir: {} },
    { name: 'config', configMap: { name: configMapName } },
    ...secrets.map((s, i) => ({
      name: `cert-${i}`,
      secret: { secretName: s, items: [{ key: 'tls.crt', path: 'cert.pem' }, { key: 'tls.key', path: 'cert.pem.key' }], defaultMode: 0o400 },
    })),
  ];
  const haproxy: Container = {
    name: 'haproxy',
    image: classSpec.haproxy.image,
    command: [`${podPaths.agentBin}/tugboat-lb-agent`],
    args: [
      `--configmap=$(POD_NAMESPACE)/${configMapName}`,
      `--config-dir=${podPaths.configDir}`,
      `--work-dir=${podPaths.workDir}`,
      `--listen=0.0.0.0:${agentPort}`,
      '--report-pod=$(POD_NAMESPACE)/$(POD_NAME)',
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: podIpVariable, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ],
    // Listener ports are deliberately not declared: they are informational only, and listing
    // them would make every listener change a new pod instead of a hitless reload.
    ports: [
      { name: 'stats', containerPort: classSpec.global.statsPort, protocol: 'TCP' },
      { name: 'agent', containerPort: agentPort, protocol: 'TCP' },
    ],
    resources: { requests: { cpu: size.cpu, memory: size.memory }, limits: { cpu: size.cpu, memory: size.memory } },
    readinessProbe: { httpGet: { path: '/readyz', port: agentPort }, periodSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: '/healthz', port: agentPort }, periodSeconds: 10, failureThreshold: 3 },
    volumeMounts: [
      { name: 'agent-bin', mountPath: podPaths.agentBin, readOnly: true },
      { name: 'work', mountPath: podPaths.workDir },
      { name: 'config', mountPath: podPaths.configDir, readOnly: true },
      ...secrets.map((s, i) => ({ name: `cert-${i}`, mountPath: `${podPaths.certsDir}/${s}`, readOnly: true })),
    ],
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
  };
  const installAgent: Container = {
    name: 'install-agent',
    image: input.agentImage,
    command: ['cp', '/usr/local/bin/tugboat-lb-agent', `${podPaths.agentBin}/tugboat-lb-agent`],
    volumeMounts: [{ name: 'agent-bin', mountPath: podPaths.agentBin }],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
  };
  const podAnnotations: Record<string, string> = {};
  if (input.attachment !== undefined) {
    podAnnotations[networksAnnotation] = networksAnnotationValue([
      { name: input.attachment.name, namespace: input.attachment.namespace, ips: [`${input.address}/${input.prefixLength}`], interface: 'net1' },
    ]);
  }

  const configMap: ApplyConfiguration<ConfigMap> = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName,
      namespace: lb.namespace,
      labels: standardLabels(lb.name, 'config'),
      annotations: { [configHashAnnotation]: input.config.hash },
      ownerReferences: owner,
    },
    data: { ...input.config.files },
  };

  const deployment: ApplyConfiguration<Deployment> = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: lb.namespace,
      labels: { ...labels, [classLabel]: input.className },
      annotations: {
        [classGenerationAnnotation]: String(input.classGeneration),
        [classSpecAnnotation]: classSnapshot(classSpec),
      },
      ownerReferences: owner,
    },
    spec: {
      replicas: lb.spec.replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrPercent(classSpec.rollout.maxUnavailable), maxSurge: 1 } },
      revisionHistoryLimit: 2,
      template: {
        metadata: { labels: { ...labels, ...selector }, ...(Object.keys(podAnnotations).length > 0 ? { annotations: podAnnotations } : {}) },
        spec: {
          serviceAccountName: agentServiceAccount,
          initContainers: [installAgent],
          containers: [haproxy],
          volumes,
          terminationGracePeriodSeconds: 35,
          affinity: {
            // Replicas of one LB on different nodes: a node failure must not take the whole LB.
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
              ],
            },
          },
        },
      },
    },
  };

  const podDisruptionBudget: ApplyConfiguration<PodDisruptionBudget> = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: lb.namespace, labels, ownerReferences: owner },
    spec: { selector: { matchLabels: selector }, maxUnavailable: intOrPercent(classSpec.rollout.maxUnavailable) },
  };

  return { configMap, deployment, podDisruptionBudget };
}
