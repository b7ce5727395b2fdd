// Upgrades on real parts: a version change runs the schema migration Job of the new release
// first, and every component keeps the running release until that Job has completed; a failed
// Job leaves the running release alone and says why. The order is checked on etcd's own
// clock: resourceVersions of one etcd are its revisions, which only grow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Deployment, Job, type KubeObject } from '@tugboat/runtime';
import { Registry } from '../src/api/registry.js';
import { migrationJobName, registryNames } from '../src/render/names.js';
import { condition, eventually, registerSharedServices, startHarborEnv, type HarborEnv } from './controllers-env.js';

interface Seen {
  rv: number;
  kind: 'Job' | 'Deployment';
  name: string;
  jobComplete?: boolean;
  image?: string;
}

function recorder(env: HarborEnv, ns: string, signal: AbortSignal): Seen[] {
  const seen: Seen[] = [];
  const follow = async (kind: typeof Job | typeof Deployment, map: (o: KubeObject) => Omit<Seen, 'rv'>) => {
    try {
      for await (const ev of env.client.watch(kind as typeof Job, { namespace: ns, signal })) {
        if (ev.type === 'BOOKMARK') continue;
        seen.push({ rv: Number(ev.object.metadata.resourceVersion), ...map(ev.object) });
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  };
  void follow(Job, (o) => ({
    kind: 'Job',
    name: o.metadata.name ?? '',
    jobComplete: (o as Job).status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false,
  }));
  void follow(Deployment, (o) => ({ kind: 'Deployment', name: o.metadata.name ?? '', image: (o as Deployment).spec?.template.spec.containers[0]?.image ?? '' }));
  return seen;
}

describe('Registry upgrades', { timeout: 600_000 }, () => {
  let env: HarborEnv;
  const ns = 'upgrades';
  const watching = new AbortController();
  let seen: Seen[] = [];

  before(async () => {
    env = await startHarborEnv();
    await env.startOperator();
    await registerSharedServices(env);
    await env.tenantNamespace(ns);
    await env.createRegistry(ns, 'harbor', { version: '2.14.4' });
    await env.waitForCondition(ns, 'harbor', 'Ready', 'True');
    seen = recorder(env, ns, watching.signal);
  });

  after(async () => {
    watching.abort();
    await env?.stop();
  });

  const coreImage = async () => (await env.client.get(Deployment, { namespace: ns, name: registryNames('harbor').core })).spec?.template.spec.containers[0]?.image;

  it('installs the requested release directly, without a migration Job', async () => {
    const r = await env.getRegistry(ns, 'harbor');
    assert.equal(r.status?.version, '2.14.4');
    assert.equal(await coreImage(), 'docker.io/goharbor/harbor-core:v2.14.4');
    assert.equal((await env.client.list(Job, { namespace: ns })).items.length, 0);
  });

  it('migrates the database in a Job of the new release before any component rolls', async () => {
    await env.client.patch(Registry, { namespace: ns, name: 'harbor' }, { spec: { version: '2.15.2' } }, 'merge');
    const r = await eventually('status.version 2.15.2', async () => {
      const x = await env.getRegistry(ns, 'harbor');
      return x.status?.version === '2.15.2' && condition(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    assert.equal(condition(r, 'Degraded')?.status, 'False');
    assert.equal(await coreImage(), 'docker.io/goharbor/harbor-core:v2.15.2');

    const jobName = migrationJobName('harbor', '2.15.2');
    const job = await env.client.get(Job, { namespace: ns, name: jobName });
    assert.deepEqual(job.spec?.template.spec.containers[0]?.command, ['/harbor/harbor_core', '-mode=migrate']);
    assert.equal(job.spec?.template.spec.containers[0]?.image, 'docker.io/goharbor/harbor-core:v2.15.2');

    const completedAt = seen.find((s) => s.kind === 'Job' && s.name === jobName && s.jobComplete)?.rv;
    assert.ok(completedAt, 'the watch saw the migration Job complete');
    const n = registryNames('harbor');
    for (const d of [n.core, n.portal, n.jobservice, n.registry]) {
      const rolled = seen.find((s) => s.kind === 'Deployment' && s.name === d && s.image?.includes(':v2.15.2'));
      assert.ok(rolled, `${d} rolled to 2.15.2`);
      assert.ok(rolled.rv > completedAt, `${d} changed image at revision ${rolled.rv}, after the Job completed at ${completedAt}`);
    }
    const reasons = (await env.events(ns, 'harbor')).map((e) => e.reason);
    assert.ok(reasons.includes('MigrationStarted'), reasons.join(','));
    assert.ok(reasons.includes('MigrationCompleted'), reasons.join(','));
  });

  it('keeps the running release and reports Degraded when the migration Job fails; retries after the Job is deleted', async () => {
    // The Job inherits core's placement; a node selector no node matches keeps its pod Pending,
    // and a deadline of two seconds then fails it, as a hung migration would fail.
    await env.client.patch(
      Registry,
      { namespace: ns, name: 'harbor' },
      { spec: { version: '2.15.3', components: { core: { nodeSelector: { 'tugboat.dev/no-such-node': 'true' } } } } },
      'merge',
    );
    const jobName = migrationJobName('harbor', '2.15.3');
    await eventually('the 2.15.3 migration Job', () => env.client.get(Job, { namespace: ns, name: jobName }));
    const progressing = await env.waitForCondition(ns, 'harbor', 'Progressing', 'True');
    assert.equal(condition(progressing, 'Progressing')?.reason, 'MigratingDatabase');
    assert.match(condition(progressing, 'Progressing')?.message ?? '', /2\.15\.2 to 2\.15\.3/);

    await env.client.patch(Job, { namespace: ns, name: jobName }, { spec: { activeDeadlineSeconds: 2 } }, 'merge');
    const degraded = await env.waitForCondition(ns, 'harbor', 'Degraded', 'True');
    assert.equal(condition(degraded, 'Degraded')?.reason, 'MigrationFailed');
    assert.match(condition(degraded, 'Degraded')?.message ?? '', new RegExp(`Job ${jobName}: DeadlineExceeded.*2\\.15\\.2 keeps running.*delete Job ${jobName} to retry`));
    assert.equal(degraded.status?.version, '2.15.2');
    assert.equal(await coreImage(), 'docker.io/goharbor/harbor-core:v2.15.2');
    const warning = await eventually('MigrationFailed event', async () => (await env.events(ns, 'harbor')).find((e) => e.reason === 'MigrationFailed'));
    assert.equal(warning.type, 'Warning');

    // Fix the cause, delete the failed Job: the migration runs again and completes.
    await env.client.patch(Registry, { namespace: ns, name: 'harbor' }, { spec: { components: { core: { nodeSelector: null } } } }, 'merge');
    await env.client.delete(Job, { namespace: ns, name: jobName }, { propagationPolicy: 'Background' });
    const done = await eventually('status.version 2.15.3', async () => {
      const x = await env.getRegistry(ns, 'harbor');
      return x.status?.version === '2.15.3' && condition(x, 'Ready')?.status === 'True' && condition(x, 'Degraded')?.status === 'False' ? x : undefined;
    });
    assert.equal(done.status?.version, '2.15.3');
    assert.equal(await coreImage(), 'docker.io/goharbor/harbor-core:v2.15.3');
    // The finished Job of the earlier release is cleaned up; the current one is kept as a record.
    assert.deepEqual((await env.client.list(Job, { namespace: ns })).items.map((j) => j.metadata.name), [jobName]);
  });
});
