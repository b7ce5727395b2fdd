// Where the Go-built binaries live. tools/build.sh builds them once into a cache outside the
// repo, keyed by version; nothing here builds on its own except `ensureBinaries`, which runs
// that script (the CLI uses it so `tugboat cluster up` works on a fresh machine).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const versions = {
  kubernetes: 'v1.37.2',
  etcd: 'v3.6.14',
  kwok: 'v0.8.0',
  registry: 'v3.0.0',
  weed: 'v0.0.0-20261109003541-7506e5f91cd6',
} as const;

export function cacheDir(): string {
  return process.env['TUGBOAT_CACHE'] ?? join(homedir(), '.cache', 'tugboat');
}

export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  kwokStages: string;
}

export function binaries(): Binaries {
  const bin = join(cacheDir(), 'bin');
  const k8s = join(bin, `kubernetes-${versions.kubernetes}`);
  const kwok = join(bin, `kwok-${versions.kwok}`);
  return {
    etcd: join(bin, `etcd-${versions.etcd}`, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
    kwok: join(kwok, 'kwok'),
    kwokStages: join(kwok, 'stages'),
  };
}

export function missingBinaries(): string[] {
  const b = binaries();
  return Object.values(b).filter((p) => !existsSync(p));
}

/** Builds whatever is missing with tools/build.sh, streaming its progress to stderr. */
export async function ensureBinaries(targets: string[] = ['etcd', 'kwok', 'k8s']): Promise<void> {
  if (missingBinaries().length === 0) return;
  process.stderr.write(
    'Building the control plane from Go modules (first run only; about 10-20 minutes on 2 cores, then cached in ' +
      `${cacheDir()}/bin)\n`,
  );
  await new Promise<void>((ok, fail) => {
    const child = spawn(join(repoRoot, 'tools', 'build.sh'), targets, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`tools/build.sh exited with ${code}`))));
  });
}

export function requireBinaries(): Binaries {
  const missing = missingBinaries();
  if (missing.length > 0) {
    throw new Error(
      `control plane binaries are missing: ${missing.join(', ')}. Run \`make binaries\` (or tools/build.sh) first.`,
    );
  }
  return binaries();
}
