import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planUpdate, serverCommands, structureChange } from '../src/agent/plan.js';
import { parseShowProc } from '../src/agent/proc.js';
import { parseConfig, parseServerAddress, parseServersState } from '../src/agent/servers.js';
import { renderHaproxyConfig } from '../src/render/haproxy.js';
import { httpSpec, renderInput, spec } from './support/specs.js';

function render(port: number, members: { address: string; port: number; weight?: number }[]) {
  return renderHaproxyConfig(renderInput(httpSpec(port, members))).files;
}

const two = [
  { address: '127.0.0.1', port: 9001 },
  { address: '127.0.0.1', port: 9002 },
];

test('identical bundles need nothing', () => {
  assert.deepEqual(planUpdate(render(80, two), render(80, two)), { kind: 'unchanged' });
});

test('adding, removing and re-weighting members go through the runtime API', () => {
  const add = planUpdate(render(80, two), render(80, [...two, { address: '127.0.0.1', port: 9003 }]));
  assert.equal(add.kind, 'runtime');
  assert.ok(add.kind === 'runtime');
  assert.equal(add.changes.length, 1);
  const slot = add.changes[0]?.to.name ?? '';
  assert.deepEqual(add.commands, [`set server bk_app/${slot} addr 127.0.0.1 port 9003`, `set server bk_app/${slot} state ready`]);

  const remove = planUpdate(render(80, two), render(80, [two[0]!]));
  assert.ok(remove.kind === 'runtime');
  assert.equal(remove.changes.length, 1);
  assert.equal(remove.changes[0]?.to.disabled, true);
  assert.equal(remove.commands[0], `set server bk_app/${remove.changes[0]?.to.name} state maint`);

  const weight = planUpdate(render(80, two), render(80, [two[0]!, { ...two[1]!, weight: 7 }]));
  assert.ok(weight.kind === 'runtime');
  assert.deepEqual(weight.commands, [`set server bk_app/${weight.changes[0]?.to.name} weight 7`]);
});

test('structural changes need a reload, with a reason', () => {
  const port = planUpdate(render(80, two), render(81, two));
  assert.equal(port.kind, 'reload');
  assert.ok(port.kind === 'reload');
  assert.match(port.reason, /bind 127\.0\.0\.1:81/);
  const nine = Array.from({ length: 9 }, (_, i) => ({ address: '127.0.0.1', port: 9000 + i }));
  const slots = planUpdate(render(80, two), render(80, nine));
  assert.equal(slots.kind, 'reload');
  const files = render(80, two);
  assert.deepEqual(planUpdate(files, { ...files, 'web.crtlist': '/x.pem\n' }), { kind: 'reload', reason: 'file web.crtlist was added' });
  assert.deepEqual(planUpdate({}, files), { kind: 'reload', reason: 'nothing is running yet' });
});

// The demo's web LB (samples/loadbalancer/30-web.yaml): two members behind an HTTP health check.
const healthMonitor = { type: 'HTTP' as const, interval: '2s', timeout: '1s', http: { path: '/healthz', expectedCodes: '200' } };
function demoWeb(pool: Record<string, unknown>) {
  return renderHaproxyConfig(
    renderInput(spec({ ipPool: 'demo', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP', defaultPool: 'web' }], pools: [{ name: 'web', ...pool }] })),
  ).files;
}
const demoMembers = [
  { address: '127.0.0.1', port: 18081 },
  { address: '127.0.0.1', port: 18082 },
];

test('swapping two members for one new one is a runtime update: the slot count stays at 8, the health check stays', () => {
  const plan = planUpdate(demoWeb({ members: demoMembers, healthMonitor }), demoWeb({ members: [{ address: '192.0.2.2', port: 18083 }], healthMonitor }));
  assert.deepEqual(plan.kind === 'runtime' ? plan.commands : plan, [
    'set server bk_web/s2 addr 192.0.2.2 port 18083',
    'set server bk_web/s2 state ready',
    'set server bk_web/s5 state maint',
    'set server bk_web/s5 addr 127.0.0.1 port 1',
    'set server bk_web/s6 state maint',
    'set server bk_web/s6 addr 127.0.0.1 port 1',
  ]);
});

test('a merge patch that replaces the pool without its health check reloads, and the reason names the removed lines', () => {
  // kubectl patch --type merge replaces the whole spec.pools list: fields left out are gone.
  const plan = planUpdate(demoWeb({ members: demoMembers, healthMonitor }), demoWeb({ members: [{ address: '192.0.2.2', port: 18083 }] }));
  assert.deepEqual(plan, {
    kind: 'reload',
    reason: 'configuration changed at line 43 in "backend bk_web": removed "timeout check 1000" and 4 more line(s)',
  });
});

test('reload reasons name the changed block and its section', () => {
  const base = ['global', '    maxconn 10', '', 'backend bk_a', '    balance roundrobin', '    server s1 weight', ''].join('\n');
  assert.equal(
    structureChange(base, base.replace('roundrobin', 'leastconn')),
    'configuration changed at line 5 in "backend bk_a": "balance roundrobin" became "balance leastconn"',
  );
  assert.equal(
    structureChange(base, base.replace('    server s1 weight\n', '    server s1 weight\n    server s2 weight\n    server s3 weight\n')),
    'configuration changed at line 7 in "backend bk_a": added "server s2 weight" and 1 more line(s)',
  );
  assert.equal(
    structureChange(base, `${base}\nfrontend ft_b\n    mode http\n`),
    'configuration changed at line 8: added "frontend ft_b" and 1 more line(s)',
  );
  const nine = Array.from({ length: 9 }, (_, i) => ({ address: '127.0.0.1', port: 9000 + i }));
  const grow = planUpdate(render(80, two), render(80, nine));
  assert.ok(grow.kind === 'reload');
  assert.match(grow.reason, /in "backend bk_app": added "server s9" and 7 more line\(s\)$/);
});

test('server commands: a moving server is drained from new connections before it changes', () => {
  const from = { backend: 'b', name: 's1', address: '10.0.0.1', port: 80, weight: 1, disabled: false };
  assert.deepEqual(serverCommands(from, { ...from, address: '10.0.0.2' }), [
    'set server b/s1 state maint',
    'set server b/s1 addr 10.0.0.2 port 80',
    'set server b/s1 state ready',
  ]);
  assert.deepEqual(serverCommands({ ...from, disabled: true }, { ...from, disabled: true, weight: 2 }), ['set server b/s1 weight 2']);
});

test('server lines and addresses parse, including IPv6', () => {
  assert.deepEqual(parseServerAddress('ipv6@2001:db8::1:8080'), { address: '2001:db8::1', port: 8080 });
  assert.deepEqual(parseServerAddress('10.0.0.1:80'), { address: '10.0.0.1', port: 80 });
  assert.equal(parseServerAddress('nohost'), undefined);
  const p = parseConfig(render(80, two)['haproxy.cfg'] ?? '');
  assert.equal(p.adminSocket, '/run/tugboat/haproxy.sock');
  assert.equal(p.servers.size, 8);
});

test('show proc and show servers state, as HAProxy 2.6 prints them', () => {
  const proc = parseShowProc(`#<PID>          <type>          <reloads>       <uptime>        <version>
27001           master          2 [failed: 1]   0d00h00m08s     2.6.12-1+deb12u4
# workers
27204           worker          1               0d00h00m01s     2.6.12-1+deb12u4
# old workers
27100           worker          3               0d00h00m43s     2.6.12-1+deb12u4
# programs

`);
  assert.deepEqual(proc, { masterPid: 27001, reloads: 2, failedReloads: 1, workers: [{ pid: 27204, reloads: 1 }], oldWorkers: [{ pid: 27100, reloads: 3 }] });
  const state = parseServersState(`1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 b1 1 s1 127.0.0.1 2 0 1 1 1 15 3 4 6 0 0 0 - 19001 - 0 0 - - 0
3 b1 2 s2 127.0.0.1 0 5 3 1 1 1 0 0 14 0 0 0 - 1 - 0 0 - - 0
`);
  assert.deepEqual(state.get('b1/s1'), { backend: 'b1', name: 's1', address: '127.0.0.1', port: 19001, weight: 1, disabled: false });
  assert.deepEqual(state.get('b1/s2'), { backend: 'b1', name: 's2', address: '127.0.0.1', port: 1, weight: 3, disabled: true });
});
