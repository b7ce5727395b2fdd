// The schema migration Job for a Harbor version: core's binary with -mode=migrate, the same
// configuration core runs with, run to completion before core's Deployment moves to the new
// version. One Job per version (its name carries it), because a Job's pod template cannot change.
import type { Job } from '@tugboat/runtime/kinds';
import { coreContainerEnv, coreVolumes } from './core.js';
import { harborImages } from './images.js';
import { labels } from './labels.js';
import type { RenderInput } from './input.js';
import { migrationJobName, registryNames } from './names.js';
import { container, harborPodSecurity, meta, ownerOf, scheduling, type HarborPodSpec } from './workload.js';

export function renderMigrationJob(input: RenderInput): Job {
  const { spec } = input.registry;
  const names = registryNames(input.registry.name);
  const { volumes, mounts } = coreVolumes(input, names);
  const pod: HarborPodSpec = {
    ...scheduling(spec.components.core),
    ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
    automountServiceAccountToken: false,
    securityContext: harborPodSecurity,
    restartPolicy: 'Never',
    containers: [
      container({
        name: 'migrate',
        image: harborImages(spec).core,
        command: ['/harbor/harbor_core', '-mode=migrate'],
        env: coreContainerEnv(input, names),
        volumeMounts: mounts,
      }),
    ],
    volumes,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(ownerOf(input), migrationJobName(input.registry.name, spec.version), 'migration'),
    spec: {
      backoffLimit: 3,
      activeDeadlineSeconds: 3600,
      template: { metadata: { labels: labels(input.registry.name, 'migration', spec.version) }, spec: pod },
    },
  };
}
