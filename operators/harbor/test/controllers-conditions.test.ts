import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { componentsProbe, registryConditions, rolloutState, type DeploymentLike, type ProbeResult } from '../src/controllers/registry-conditions.js';

const ok = (what: string): ProbeResult => ({ status: 'True', reason: `${what}Reachable`, message: `${what} answered` });

function deployment(replicas: number, available: number, opts: { generation?: number; observed?: number; updated?: number } = {}): DeploymentLike {
  return {
    metadata: { name: 'd', generation: opts.generation ?? 1 },
    spec: { replicas },
    status: { observedGeneration: opts.observed ?? 1, replicas, updatedReplicas: opts.updated ?? replicas, availableReplicas: available },
  };
}

const byType = <C extends { type: string }>(cs: C[], t: string): C | undefined => cs.find((c) => c.type === t);

describe('rolloutState', () => {
  it('is Available only when the controller saw the generation and every replica is updated and available', () => {
    assert.equal(rolloutState(deployment(2, 2)).state, 'Available');
    assert.equal(rolloutState(deployment(2, 1)).state, 'RollingOut');
    assert.equal(rolloutState(deployment(2, 2, { generation: 2, observed: 1 })).state, 'RollingOut');
    assert.equal(rolloutState(deployment(2, 2, { updated: 1 })).state, 'RollingOut');
    assert.equal(rolloutState(undefined).state, 'Missing');
  });

  it('reports a rollout past its progress deadline as Failed', () => {
    const d = deployment(1, 0);
    d.status = { ...d.status, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' }] };
    assert.deepEqual(rolloutState(d), { state: 'Failed', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' });
  });
});

describe('registryConditions', () => {
  const components = componentsProbe([
    { component: 'core', deploymentName: 'a-core', deployment: deployment(1, 1) },
    { component: 'portal', deploymentName: 'a-portal', deployment: deployment(1, 1) },
  ]);

  it('is Ready when the database, cache, storage and every component are', () => {
    const cs = registryConditions({ database: ok('Database'), cache: ok('Cache'), storage: ok('Storage'), components, upgrade: { action: 'Steady', version: '2.15.2' }, rollingOut: false });
    assert.deepEqual(
      cs.map((c) => [c.type, c.status]),
      [
        ['DatabaseReady', 'True'],
        ['CacheReady', 'True'],
        ['StorageReady', 'True'],
        ['ComponentsReady', 'True'],
        ['Progressing', 'False'],
        ['Degraded', 'False'],
        ['Ready', 'True'],
      ],
    );
    assert.equal(byType(cs, 'Ready')?.message, 'Harbor 2.15.2 is serving: database, cache, storage and all components are ready');
  });

  it('is not Ready, and Degraded, when a probe fails; the reason names the failing part', () => {
    const db: ProbeResult = { status: 'False', reason: 'ConnectFailed', message: 'cannot connect to 127.0.0.1:5432 as harbor_x' };
    const cs = registryConditions({ database: db, cache: ok('Cache'), storage: ok('Storage'), components, upgrade: undefined, rollingOut: false });
    assert.equal(byType(cs, 'Ready')?.status, 'False');
    assert.equal(byType(cs, 'Ready')?.reason, 'DatabaseNotReady');
    assert.equal(byType(cs, 'Degraded')?.status, 'True');
    assert.equal(byType(cs, 'Degraded')?.reason, 'ConnectFailed');
  });

  it('is Unknown, not False, when a part could not be probed', () => {
    const cache: ProbeResult = { status: 'Unknown', reason: 'NotProbed', message: 'outside the cluster' };
    const cs = registryConditions({ database: ok('Database'), cache, storage: ok('Storage'), components, upgrade: undefined, rollingOut: false });
    assert.equal(byType(cs, 'Ready')?.status, 'Unknown');
    assert.equal(byType(cs, 'Ready')?.reason, 'CacheNotReady');
    assert.equal(byType(cs, 'Degraded')?.status, 'False');
  });

  it('says a migration is running and keeps serving the old release', () => {
    const cs = registryConditions({
      database: ok('Database'),
      cache: ok('Cache'),
      storage: ok('Storage'),
      components,
      upgrade: { action: 'AwaitMigration', version: '2.14.4', from: '2.14.4', to: '2.15.2', job: 'a-migrate-2-15-2' },
      rollingOut: false,
    });
    assert.equal(byType(cs, 'Progressing')?.reason, 'MigratingDatabase');
    assert.match(byType(cs, 'Progressing')?.message ?? '', /2\.14\.4 to 2\.15\.2.*a-migrate-2-15-2/);
    assert.equal(byType(cs, 'Ready')?.status, 'True');
  });

  it('reports a failed migration as Degraded with the Job reason and what to do', () => {
    const cs = registryConditions({
      database: ok('Database'),
      cache: ok('Cache'),
      storage: ok('Storage'),
      components,
      upgrade: { action: 'MigrationFailed', version: '2.14.4', from: '2.14.4', to: '2.15.2', job: 'j', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
      rollingOut: false,
    });
    const d = byType(cs, 'Degraded');
    assert.equal(d?.status, 'True');
    assert.equal(d?.reason, 'MigrationFailed');
    assert.match(d?.message ?? '', /DeadlineExceeded.*delete Job j to retry/);
  });

  it('lists the components that are not available yet', () => {
    const p = componentsProbe([
      { component: 'core', deploymentName: 'a-core', deployment: deployment(2, 1) },
      { component: 'portal', deploymentName: 'a-portal', deployment: undefined },
    ]);
    assert.equal(p.status, 'False');
    assert.equal(p.reason, 'ComponentsMissing');
    assert.equal(p.message, 'not created yet: portal');
  });

  it('counts an object that could not be applied as Degraded, with the reason from ComponentsReady', () => {
    const failed: ProbeResult = { status: 'False', reason: 'ApplyFailed', message: 'applying Deployment a-core failed: field is immutable' };
    const cs = registryConditions({ database: ok('Database'), cache: ok('Cache'), storage: ok('Storage'), components: failed, upgrade: undefined, rollingOut: false });
    assert.equal(byType(cs, 'Degraded')?.status, 'True');
    assert.equal(byType(cs, 'Degraded')?.reason, 'ApplyFailed');
    assert.equal(byType(cs, 'Ready')?.reason, 'ComponentsNotReady');
  });
});
