import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrationJobState, planUpgrade } from '../src/controllers/upgrade-plan.js';

describe('planUpgrade', () => {
  it('installs the requested release when nothing runs yet', () => {
    assert.deepEqual(planUpgrade('2.15.2', undefined, { phase: 'Absent' }), { action: 'Install', version: '2.15.2' });
  });

  it('is steady when the requested release runs', () => {
    assert.deepEqual(planUpgrade('2.15.2', '2.15.2', { phase: 'Absent' }), { action: 'Steady', version: '2.15.2' });
  });

  it('starts the migration and keeps the running release until the Job completes', () => {
    assert.deepEqual(planUpgrade('2.15.2', '2.14.4', { phase: 'Absent' }), { action: 'StartMigration', version: '2.14.4', from: '2.14.4', to: '2.15.2' });
    assert.deepEqual(planUpgrade('2.15.2', '2.14.4', { phase: 'Running', name: 'j' }), {
      action: 'AwaitMigration',
      version: '2.14.4',
      from: '2.14.4',
      to: '2.15.2',
      job: 'j',
    });
    assert.deepEqual(planUpgrade('2.15.2', '2.14.4', { phase: 'Complete', name: 'j' }), {
      action: 'CompleteMigration',
      version: '2.15.2',
      from: '2.14.4',
      job: 'j',
    });
  });

  it('keeps the running release when the Job failed', () => {
    const p = planUpgrade('2.15.2', '2.14.4', { phase: 'Failed', name: 'j', reason: 'DeadlineExceeded', message: 'too slow' });
    assert.equal(p.action, 'MigrationFailed');
    assert.equal(p.version, '2.14.4');
  });

  it('refuses a downgrade (the schema is already migrated) and keeps the running release', () => {
    const p = planUpgrade('2.14.0', '2.15.2', { phase: 'Absent' });
    assert.equal(p.action, 'Refused');
    assert.equal(p.version, '2.15.2');
    assert.match(p.action === 'Refused' ? p.message : '', /cannot downgrade Harbor from 2\.15\.2 to 2\.14\.0/);
  });

  it('compares versions numerically, not as strings', () => {
    assert.equal(planUpgrade('2.15.10', '2.15.9', { phase: 'Absent' }).action, 'StartMigration');
    assert.equal(planUpgrade('2.15.9', '2.15.10', { phase: 'Absent' }).action, 'Refused');
  });
});

describe('migrationJobState', () => {
  it('reads Complete and Failed from the Job conditions', () => {
    assert.deepEqual(migrationJobState(undefined), { phase: 'Absent' });
    assert.deepEqual(migrationJobState({ metadata: { name: 'j' }, status: { active: 1 } }), { phase: 'Running', name: 'j' });
    assert.deepEqual(
      migrationJobState({ metadata: { name: 'j' }, status: { succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] } }),
      { phase: 'Complete', name: 'j' },
    );
    assert.deepEqual(
      migrationJobState({
        metadata: { name: 'j' },
        status: { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] },
      }),
      { phase: 'Failed', name: 'j', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
    );
  });

  it('does not take a FailureTarget (not yet terminal) for a failure', () => {
    assert.equal(migrationJobState({ metadata: { name: 'j' }, status: { conditions: [{ type: 'FailureTarget', status: 'True' }] } }).phase, 'Running');
  });
});
