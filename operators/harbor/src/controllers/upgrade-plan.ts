// Which Harbor release the components run, decided from what the user asked for (spec.version),
// what is known to run (status.version: the release whose schema the database holds) and the
// migration Job of the requested release. Harbor core migrates its schema at start, but a
// rolling update would then run old and new core against a schema in flux; so, like
// harbor-helm's pre-upgrade hook, a Job of the new release migrates first (`-mode=migrate`) and
// every component keeps the running release until that Job has completed.
//
// Pure: the reconciler gathers the three inputs and acts on the answer, so a reconcile killed at
// any point decides the same way when it runs again.
import { compareVersions, parseHarborVersion } from '../api/versions.js';

/** What the reconciler knows of the migration Job of the requested release. */
export type MigrationJobState =
  | { phase: 'Absent' }
  | { phase: 'Running'; name: string }
  | { phase: 'Complete'; name: string }
  | { phase: 'Failed'; name: string; reason: string; message: string };

export type UpgradePlan =
  /** Nothing runs yet (or nothing is known to): install the requested release directly. */
  | { action: 'Install'; version: string }
  /** The requested release runs. */
  | { action: 'Steady'; version: string }
  /** Create the migration Job; keep running `version` meanwhile. */
  | { action: 'StartMigration'; version: string; from: string; to: string }
  /** The Job runs; keep running `version`. */
  | { action: 'AwaitMigration'; version: string; from: string; to: string; job: string }
  /** The Job completed: roll every component to `version` and record it as running. */
  | { action: 'CompleteMigration'; version: string; from: string; job: string }
  /** The Job failed: keep running `version`; the user must look at the Job. */
  | { action: 'MigrationFailed'; version: string; from: string; to: string; job: string; reason: string; message: string }
  /** The request is older than what runs, or unreadable: keep running `version`. */
  | { action: 'Refused'; version: string; requested: string; message: string };

export function planUpgrade(requested: string, running: string | undefined, job: MigrationJobState): UpgradePlan {
  if (running === undefined || running === '') return { action: 'Install', version: requested };
  if (running === requested) return { action: 'Steady', version: running };
  const want = parseHarborVersion(requested);
  const have = parseHarborVersion(running);
  if (!want || !have) {
    return {
      action: 'Refused',
      version: running,
      requested,
      message: `spec.version ${requested} is not a Harbor release (x.y.z); Harbor ${running} keeps running`,
    };
  }
  if (compareVersions(want, have) < 0) {
    return {
      action: 'Refused',
      version: running,
      requested,
      message: `cannot downgrade Harbor from ${running} to ${requested}: the database schema was already migrated to ${running}. Set spec.version back to ${running} or later`,
    };
  }
  switch (job.phase) {
    case 'Absent':
      return { action: 'StartMigration', version: running, from: running, to: requested };
    case 'Running':
      return { action: 'AwaitMigration', version: running, from: running, to: requested, job: job.name };
    case 'Complete':
      return { action: 'CompleteMigration', version: requested, from: running, job: job.name };
    case 'Failed':
      return { action: 'MigrationFailed', version: running, from: running, to: requested, job: job.name, reason: job.reason, message: job.message };
  }
}

interface JobLike {
  metadata: { name?: string };
  status?: { active?: number; succeeded?: number; failed?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Reads a Job's state from its conditions, the way `kubectl wait --for=condition=Complete` does. */
export function migrationJobState(job: JobLike | undefined): MigrationJobState {
  if (!job) return { phase: 'Absent' };
  const name = job.metadata.name ?? '';
  const cond = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  if (cond('Complete')) return { phase: 'Complete', name };
  const failed = cond('Failed');
  if (failed) {
    return {
      phase: 'Failed',
      name,
      reason: failed.reason ?? 'Failed',
      message: failed.message ?? `${job.status?.failed ?? 0} pod(s) failed`,
    };
  }
  return { phase: 'Running', name };
}
