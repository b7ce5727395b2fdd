// Which Harbor releases this operator runs. The list is data, not scattered constraints: the
// archived goharbor/harbor-operator hard-coded version ranges in its webhook and got stuck
// rejecting every release after 2.6 ("unknown version", its issue #1068). Here one table says
// which release lines work, and every check reads it.
//
// The supported lines are those whose registry is distribution v3: Harbor 2.13 moved to it, and
// its config.yml differs from the 2.8-based registry of earlier releases (`redis.addrs` instead
// of `redis.addr`, `cache.blobdescriptor` instead of `layerinfo`; harbor-helm issue #2254).
// One registry config format is rendered, so older lines are refused rather than half-supported.

export interface HarborVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Release lines (major.minor) this operator renders configuration for, oldest first. */
export const supportedLines: readonly string[] = ['2.13', '2.14', '2.15'];

/** The release new registries get when spec.version is left out. */
export const defaultHarborVersion = '2.15.2';

export const versionPattern = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function parseHarborVersion(v: string): HarborVersion | undefined {
  const m = versionPattern.exec(v);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareVersions(a: HarborVersion, b: HarborVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function lineOf(v: HarborVersion): string {
  return `${v.major}.${v.minor}`;
}

export function isSupported(v: HarborVersion): boolean {
  return supportedLines.includes(lineOf(v));
}

/** The image tag Harbor publishes for a release: `v` + version. */
export function imageTag(version: string): string {
  return `v${version}`;
}
