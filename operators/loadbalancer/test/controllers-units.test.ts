// Pure parts of the control plane by value: allocation names, candidate order, EndpointSlice
// resolution, the workload objects, the status, the Multus pieces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, EndpointSlice, Service } from '@tugboat/runtime';
import { allocationName } from '../src/api/ipallocation.js';
import { loadBalancerSpecSchema } from '../src/api/loadbalancer.js';
import { builtinClassSpec } from '../src/api/loadbalancerclass.js';
import { parsePool } from '../src/ipam/allocator.js';
import { candidates, freeIntervals, spreadOffset } from '../src/controllers/candidates.js';
import { serviceEndpoints, referencedServices } from '../src/controllers/endpoints.js';
import { computeStatus, commonAppliedHash, sameStatus, type StatusObservation } from '../src/controllers/lbstatus.js';
import { childName, lbLabelValue } from '../src/controllers/names.js';
import { attachmentConfig, networksAnnotation, networksAnnotationValue } from '../src/controllers/networkattachment.js';
import { buildWorkload, classSnapshot, podRuntime } from '../src/controllers/workload.js';
import { renderHaproxyConfig } from '../src/render/haproxy.js';

function pool(addresses: string[], exclude?: string[]) {
  const r = parsePool({ addresses, exclude });
  assert.ok(r.ok);
  return r.pool;
}

describe('allocation names', () => {
  it('put pool and address in the name; IPv6 as 32 hex digits', () => {
    assert.equal(allocationName('public', '192.0.2.7'), 'public.192.0.2.7');
    assert.equal(allocationName('v6', '2001:db8::1'), 'v6.20010db8000000000000000000000001');
    assert.throws(() => allocationName('p', 'nope'), /not an IP address/);
  });
  it('stay within 253 characters and unique for long pool names', () => {
    const long = 'p'.repeat(250);
    const a = allocationName(long, '10.0.0.1');
    const b = allocationName(`${'p'.repeat(249)}q`, '10.0.0.1');
    assert.ok(a.length <= 253);
    assert.ok(a.endsWith('.10.0.0.1'));
    assert.notEqual(a, b);
  });
});

describe('candidate order', () => {
  it('skips taken addresses and visits every free one exactly once', () => {
    const p = pool(['10.0.0.0/29']);
    const seen = [...candidates(p, ['10.0.0.3'], 'uid-a', 100)];
    assert.equal(seen.length, 5);
    assert.deepEqual([...seen].sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });
  it('starts different load balancers at different places', () => {
    const p = pool(['10.0.0.0/22']);
    const firsts = new Set<string>();
    for (let i = 0; i < 100; i++) firsts.add([...candidates(p, [], `uid-${i}`, 1)][0] ?? '');
    assert.ok(firsts.size >= 85, `only ${firsts.size} distinct first choices`);
    assert.equal([...candidates(p, [], 'same', 3)].join(), [...candidates(p, [], 'same', 3)].join(), 'deterministic per seed');
  });
  it('walks huge IPv6 pools without materialising them', () => {
    const p = pool(['2001:db8::/64']);
    const got = [...candidates(p, [], 'x', 3)];
    assert.equal(got.length, 3);
    assert.equal(freeIntervals(p, []).size, (1n << 64n) - 1n);
    assert.ok(spreadOffset('x') > 0n);
  });
  it('yields nothing from an exhausted pool', () => {
    const p = pool(['10.0.0.0/30']);
    assert.deepEqual([...candidates(p, ['10.0.0.1', '10.0.0.2'], 'u', 10)], []);
  });
});

describe('EndpointSlice resolution', () => {
  const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'apps' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
  const slice = (endpoints: EndpointSlice['endpoints'], port = 8080, name = 'http'): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', namespace: 'apps' },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name, port }],
  });
  it('takes ready endpoints at the target port named like the Service port, sorted and deduplicated', () => {
    const r = serviceEndpoints(
      svc,
      [
        slice([{ addresses: ['10.0.0.9'] }, { addresses: ['10.0.0.2'], conditions: { ready: true } }, { addresses: ['10.0.0.3'], conditions: { ready: false } }]),
        slice([{ addresses: ['10.0.0.2'] }]),
        slice([{ addresses: ['10.0.0.7'] }], 9999, 'metrics'),
      ],
      80,
      'apps/web',
    );
    assert.deepEqual(r, { ok: true, endpoints: [{ address: '10.0.0.2', port: 8080 }, { address: '10.0.0.9', port: 8080 }] });
  });
  it('says what is wrong when the Service or its port is missing', () => {
    assert.deepEqual(serviceEndpoints(undefined, [], 80, 'apps/web'), { ok: false, reason: 'ServiceNotFound', message: 'Service apps/web does not exist; create it or fix serviceRef.name' });
    const r = serviceEndpoints(svc, [], 443, 'apps/web');
    assert.ok(!r.ok && r.reason === 'PortNotFound' && /has no port 443 \(it has: 80\)/.test(r.message));
  });
  it('lists the Services a spec references', () => {
    const spec = { pools: [{ name: 'a', serviceRef: { name: 'web', port: 80 } }, { name: 'b', members: [] }, { name: 'c', serviceRef: { name: 'api', port: 80 } }] };
    assert.deepEqual(referencedServices('apps', spec as never), ['apps/api', 'apps/web']);
  });
});

describe('names', () => {
  it('shortens long names with a hash, within 63 characters', () => {
    assert.equal(childName('web', 'haproxy'), 'web-haproxy');
    const n = childName('x'.repeat(100), 'haproxy');
    assert.equal(n.length, 63);
    assert.notEqual(n, childName(`${'x'.repeat(99)}y`, 'haproxy'));
    assert.equal(lbLabelValue('short'), 'short');
    assert.equal(lbLabelValue('y'.repeat(80)).length, 63);
  });
});

describe('Multus pieces', () => {
  it('asks for static IPs from the pod annotation', () => {
    const cfg = JSON.parse(attachmentConfig('public', { type: 'macvlan', master: 'eth1', gateway: '192.0.2.1' })) as { plugins: Record<string, unknown>[] };
    assert.deepEqual(cfg.plugins[0], {
      type: 'macvlan',
      master: 'eth1',
      mode: 'bridge',
      capabilities: { ips: true },
      ipam: { type: 'static', routes: [{ dst: '0.0.0.0/0', gw: '192.0.2.1' }] },
    });
    assert.equal(
      networksAnnotationValue([{ name: 'public', namespace: 'tugboat-system', ips: ['192.0.2.7/24'], interface: 'net1' }]),
      '[{"name":"public","namespace":"tugboat-system","ips":["192.0.2.7/24"],"interface":"net1"}]',
    );
  });
});

const spec = loadBalancerSpecSchema.parse({
  ipPool: 'public',
  listeners: [{ name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' }],
  pools: [{ name: 'web', members: [{ address: '10.1.0.1', port: 8080 }] }],
});
const lb = { name: 'shop', namespace: 'apps', uid: 'uid-1', spec };
const config = renderHaproxyConfig({
  namespace: 'apps',
  name: 'shop',
  spec,
  classSpec: builtinClassSpec,
  bindAddresses: ['192.0.2.7'],
  runtime: podRuntime,
});

describe('workload', () => {
  const input = {
    lb,
    className: 'default',
    classGeneration: 3,
    classSpec: builtinClassSpec,
    address: '192.0.2.7',
    prefixLength: 24,
    attachment: { name: 'public', namespace: 'tugboat-system' },
    config,
    agentImage: 'ghcr.io/tugboat/lb-agent:0.1.0',
  };
  it('is deterministic, and the config hash lives on the ConfigMap, not on the pod template', () => {
    const a = buildWorkload(input);
    assert.deepEqual(a, buildWorkload(input));
    assert.equal(a.configMap.metadata.annotations?.['lb.tugboat.dev/config-hash'], config.hash);
    assert.equal(a.configMap.data?.['haproxy.cfg'], config.files['haproxy.cfg']);
    assert.ok(!JSON.stringify(a.deployment.spec?.template).includes(config.hash));
  });
  it('puts the allocated address into the Multus annotation and owns everything by the LB', () => {
    const w = buildWorkload(input);
    assert.equal(w.deployment.spec?.template?.metadata?.annotations?.[networksAnnotation], '[{"name":"public","namespace":"tugboat-system","ips":["192.0.2.7/24"],"interface":"net1"}]');
    for (const o of [w.configMap, w.deployment, w.podDisruptionBudget]) {
      assert.deepEqual(o.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['LoadBalancer', 'shop', 'uid-1', true]]);
    }
    assert.equal(w.deployment.spec?.replicas, 2);
    assert.equal(w.podDisruptionBudget.spec?.maxUnavailable, 1);
    assert.equal(w.deployment.metadata.annotations?.['lb.tugboat.dev/class-generation'], '3');
    assert.equal(w.deployment.metadata.annotations?.['lb.tugboat.dev/class-spec'], classSnapshot(builtinClassSpec));
  });
  it('changes the pod template when the class image changes, not when members or listeners change', () => {
    const base = buildWorkload(input);
    const image = buildWorkload({ ...input, classSpec: { ...builtinClassSpec, haproxy: { image: 'docker.io/library/haproxy:2.8', version: '2.8' } } });
    assert.notDeepEqual(image.deployment.spec?.template, base.deployment.spec?.template);
    const spec2 = { ...spec, pools: [{ ...spec.pools[0]!, members: [{ address: '10.1.0.2', port: 8080, weight: 1, backup: false }] }] };
    const cfg2 = renderHaproxyConfig({ namespace: 'apps', name: 'shop', spec: spec2, classSpec: builtinClassSpec, bindAddresses: ['192.0.2.7'], runtime: podRuntime });
    const members = buildWorkload({ ...input, lb: { ...lb, spec: spec2 }, config: cfg2 });
    assert.deepEqual(members.deployment.spec?.template, base.deployment.spec?.template);
    assert.notEqual(members.configMap.metadata.annotations?.['lb.tugboat.dev/config-hash'], config.hash);
    const spec3 = { ...spec, listeners: [...spec.listeners, { ...spec.listeners[0]!, name: 'alt', port: 8081 }] };
    const cfg3 = renderHaproxyConfig({ namespace: 'apps', name: 'shop', spec: spec3, classSpec: builtinClassSpec, bindAddresses: ['192.0.2.7'], runtime: podRuntime });
    const listeners = buildWorkload({ ...input, lb: { ...lb, spec: spec3 }, config: cfg3 });
    assert.deepEqual(listeners.deployment.spec?.template, base.deployment.spec?.template, 'a new listener is a reload, not new pods');
  });
  it('gives HAProxy the cluster-network pod IP that the stats frontend binds, so stats stay off the public interface', () => {
    const container = buildWorkload(input).deployment.spec?.template?.spec?.containers?.[0];
    assert.deepEqual(
      container?.env?.find((e) => e?.name === 'POD_IP'),
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    );
    const cfg = (config.files['haproxy.cfg'] ?? '').split('\n');
    const stats = cfg.slice(cfg.indexOf('frontend stats'));
    assert.equal(stats.find((l) => l.trim().startsWith('bind ')), '    bind "${POD_IP}:8404"');
    assert.ok(!cfg.some((l) => /\bbind (0\.0\.0\.0|:::|\*|:)/.test(l.trim())), 'no wildcard bind in a pod configuration');
  });
  it('gives the agent the ConfigMap through the API and, as its fallback, mounted where --config-dir points', () => {
    const podSpec = buildWorkload(input).deployment.spec?.template?.spec;
    const container = podSpec?.containers?.[0];
    assert.ok(container?.args?.includes('--configmap=$(POD_NAMESPACE)/shop-haproxy'));
    const dirArg = container?.args?.find((a) => a?.startsWith('--config-dir='));
    const mount = container?.volumeMounts?.find((m) => m?.mountPath === dirArg?.slice('--config-dir='.length));
    assert.ok(mount, `a volume is mounted at ${dirArg}`);
    assert.equal(mount.readOnly, true);
    assert.deepEqual(podSpec?.volumes?.find((v) => v?.name === mount.name)?.configMap, { name: 'shop-haproxy' });
  });
  it('mounts TLS Secrets where the renderer expects them', () => {
    const tlsSpec = loadBalancerSpecSchema.parse({
      ipPool: 'public',
      listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', defaultPool: 'web', tls: { certificates: [{ secretRef: { name: 'site' } }] } }],
      pools: [{ name: 'web', members: [{ address: '10.1.0.1', port: 8080 }] }],
    });
    const w = buildWorkload({ ...input, lb: { ...lb, spec: tlsSpec } });
    const podSpec = w.deployment.spec?.template?.spec;
    assert.deepEqual(podSpec?.volumes?.find((v) => v?.name === 'cert-0')?.secret?.items, [{ key: 'tls.crt', path: 'cert.pem' }, { key: 'tls.key', path: 'cert.pem.key' }]);
    assert.ok(podSpec?.containers?.[0]?.volumeMounts?.some((m) => m?.mountPath === '/etc/haproxy/certs/site'));
  });
});

describe('status', () => {
  const deployment = (s: NonNullable<Deployment['status']>, generation = 1): Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'shop-haproxy', generation },
    spec: { selector: {}, template: { spec: { containers: [] } } },
    status: s,
  });
  const base: StatusObservation = {
    generation: 4,
    previous: undefined,
    now: '2026-01-01T00:00:00Z',
    address: '192.0.2.7',
    warnings: [],
    configHash: 'h1',
    classGeneration: 1,
    replicas: 2,
    deployment: deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }),
    pods: [],
  };
  const cond = (s: ReturnType<typeof computeStatus>, type: string) => s.conditions?.find((c) => c.type === type);

  it('is Ready and not Progressing once the rollout is complete', () => {
    const s = computeStatus(base);
    assert.equal(s.address, '192.0.2.7');
    assert.deepEqual(s.addresses, ['192.0.2.7']);
    assert.equal(s.ready, '2/2');
    assert.equal(s.observedGeneration, 4);
    assert.equal(s.classGeneration, 1);
    assert.deepEqual([cond(s, 'Ready')?.status, cond(s, 'Ready')?.reason], ['True', 'Available']);
    assert.deepEqual([cond(s, 'Progressing')?.status, cond(s, 'Progressing')?.reason], ['False', 'UpToDate']);
    assert.deepEqual([cond(s, 'Degraded')?.status, cond(s, 'Degraded')?.reason], ['False', 'AsExpected']);
  });

  it('reports PoolExhausted with the message it was given and no workload fields', () => {
    const s = computeStatus({ ...base, address: undefined, blocker: { reason: 'PoolExhausted', message: 'IPPool "p" has no free address' } });
    assert.equal(s.address, undefined);
    assert.deepEqual([cond(s, 'Ready')?.status, cond(s, 'Ready')?.reason, cond(s, 'Ready')?.message], ['False', 'PoolExhausted', 'IPPool "p" has no free address']);
  });

  it('is Progressing while the Deployment rolls out or replicas run an older configuration', () => {
    const rolling = computeStatus({ ...base, deployment: deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 1, availableReplicas: 2 }, 1) });
    assert.deepEqual([cond(rolling, 'Progressing')?.status, cond(rolling, 'Progressing')?.reason], ['True', 'RollingOut']);
    assert.equal(cond(rolling, 'Ready')?.status, 'True', 'old replicas keep serving');
    const unseen = computeStatus({ ...base, deployment: deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }, 2) });
    assert.equal(cond(unseen, 'Progressing')?.status, 'True');
    const stale = computeStatus({ ...base, pods: [{ name: 'a', applied: 'h0' }, { name: 'b', applied: 'h1' }] });
    assert.deepEqual([cond(stale, 'Progressing')?.reason, cond(stale, 'Progressing')?.message], ['ApplyingConfiguration', '1 of 2 replicas still run an older configuration (a)']);
  });

  it('reports the hash every replica applied, and keeps the last one while they disagree', () => {
    assert.equal(commonAppliedHash([{ name: 'a', applied: 'h1' }, { name: 'b', applied: 'h1' }], 2), 'h1');
    assert.equal(commonAppliedHash([{ name: 'a', applied: 'h1' }], 2), undefined);
    const s1 = computeStatus({ ...base, pods: [{ name: 'a', applied: 'h1' }, { name: 'b', applied: 'h1' }] });
    assert.equal(s1.appliedConfigHash, 'h1');
    const s2 = computeStatus({ ...base, previous: s1, configHash: 'h2', pods: [{ name: 'a', applied: 'h2' }, { name: 'b', applied: 'h1' }] });
    assert.equal(s2.appliedConfigHash, 'h1');
  });

  it('is Degraded when HAProxy refused a configuration, naming the replica', () => {
    const s = computeStatus({ ...base, pods: [{ name: 'a', applied: 'h1', rejected: 'h2: [ALERT] parsing' }, { name: 'b', applied: 'h1' }] });
    assert.equal(cond(s, 'Degraded')?.reason, 'ConfigurationRejected');
    assert.match(cond(s, 'Degraded')?.message ?? '', /on 1 replica\(s\).*\(a: h2: \[ALERT\] parsing\)/);
  });

  it('says RolloutQueued while a class rollout holds the LB back', () => {
    const s = computeStatus({ ...base, queuedBehind: { className: 'default', generation: 2 } });
    assert.deepEqual([cond(s, 'Progressing')?.status, cond(s, 'Progressing')?.reason], ['False', 'RolloutQueued']);
  });

  it('records the class generation it settled on and keeps it through a blip, a block and a rollout', () => {
    const settled = computeStatus(base);
    assert.equal(settled.settledClassGeneration, 1);
    const queued = computeStatus({ ...base, previous: settled, queuedBehind: { className: 'default', generation: 2 } });
    assert.equal(queued.settledClassGeneration, 1, 'held back on generation 1 and settled there');
    const rolling = computeStatus({ ...base, previous: queued, classGeneration: 2, deployment: deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }, 2) });
    assert.deepEqual([rolling.classGeneration, rolling.settledClassGeneration], [2, 1], 'runs 2, not yet settled on it');
    const done = computeStatus({ ...base, previous: rolling, classGeneration: 2, deployment: deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }, 2) });
    assert.equal(done.settledClassGeneration, 2);
    const blip = computeStatus({ ...base, previous: done, classGeneration: 2, deployment: deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 0 }, 2) });
    assert.equal(cond(blip, 'Ready')?.status, 'False');
    assert.equal(blip.settledClassGeneration, 2, 'a replica outage does not undo the update');
    const blocked = computeStatus({ ...base, previous: blip, blocker: { reason: 'PoolNotFound', message: 'x' } });
    assert.equal(blocked.settledClassGeneration, 2);
    const fresh = computeStatus({ ...base, deployment: deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 0, availableReplicas: 0 }) });
    assert.equal(fresh.settledClassGeneration, undefined, 'a new LB has settled on nothing yet');
  });

  it('keeps lastTransitionTime when nothing flips, so a resync changes nothing', () => {
    const s1 = computeStatus(base);
    const s2 = computeStatus({ ...base, previous: s1, now: '2026-01-01T01:00:00Z' });
    assert.ok(sameStatus(s1, s2));
    const s3 = computeStatus({ ...base, previous: s2, now: '2026-01-01T02:00:00Z', deployment: undefined });
    assert.ok(!sameStatus(s2, s3));
    assert.equal(cond(s3, 'Ready')?.lastTransitionTime, '2026-01-01T02:00:00Z');
    assert.equal(cond(s3, 'Degraded')?.lastTransitionTime, '2026-01-01T00:00:00Z');
  });
});
