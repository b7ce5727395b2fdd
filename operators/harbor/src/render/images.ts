// Container images of a Harbor release. Harbor publishes every component under one repository
// with the release as tag (v2.15.2), so the version alone picks all of them.
import type { RegistrySpec } from '../api/registry.js';
import { imageTag } from '../api/versions.js';

export interface HarborImages {
  core: string;
  portal: string;
  jobservice: string;
  registry: string;
  registryctl: string;
  trivy: string;
  exporter: string;
}

export function harborImages(spec: Pick<RegistrySpec, 'imageRepository' | 'version'>): HarborImages {
  const repo = spec.imageRepository.replace(/\/+$/, '');
  const tag = imageTag(spec.version);
  const image = (name: string) => `${repo}/${name}:${tag}`;
  return {
    core: image('harbor-core'),
    portal: image('harbor-portal'),
    jobservice: image('harbor-jobservice'),
    registry: image('registry-photon'),
    registryctl: image('harbor-registryctl'),
    trivy: image('trivy-adapter-photon'),
    exporter: image('harbor-exporter'),
  };
}
