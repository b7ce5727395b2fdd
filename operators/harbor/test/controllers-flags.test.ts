import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { optionsFromArgs } from '../src/flags.js';

describe('operator flags', () => {
  it('defaults to a leader-elected operator with metrics, health and webhook servers', () => {
    const o = optionsFromArgs([]);
    assert.notEqual(o, 'help');
    if (o === 'help') return;
    assert.deepEqual(o.leaderElection, {});
    assert.equal(o.metricsPort, 8080);
    assert.equal(o.healthPort, 8081);
    assert.deepEqual(o.webhook, { port: 9443 });
    assert.equal(o.installCRDs, false);
    assert.equal(o.probeIntervalMs, 60_000);
  });

  it('serves the webhook through a Service with a certificate for its DNS names', () => {
    const o = optionsFromArgs(['--webhook-service', 'tugboat-system/harbor-operator', '--webhook-cert-secret', 'tugboat-system/harbor-webhook-ca']);
    if (o === 'help') throw new Error('unexpected help');
    assert.deepEqual(o.webhook, {
      port: 9443,
      endpoint: { service: { namespace: 'tugboat-system', name: 'harbor-operator', port: 9443 } },
      dnsNames: ['harbor-operator.tugboat-system.svc', 'harbor-operator.tugboat-system.svc.cluster.local'],
      certSecret: { namespace: 'tugboat-system', name: 'harbor-webhook-ca' },
    });
  });

  it('turns servers and election off', () => {
    const o = optionsFromArgs(['--leader-elect', 'false', '--metrics-port', 'off', '--health-port', 'off', '--webhook-port', 'off', '--install-crds', '--probe-interval', '5']);
    if (o === 'help') throw new Error('unexpected help');
    assert.equal(o.leaderElection, false);
    assert.equal(o.metricsPort, undefined);
    assert.equal(o.healthPort, undefined);
    assert.equal(o.webhook, false);
    assert.equal(o.installCRDs, true);
    assert.equal(o.probeIntervalMs, 5000);
  });

  it('rejects malformed values with the flag name', () => {
    assert.throws(() => optionsFromArgs(['--webhook-service', 'just-a-name']), /--webhook-service: expected NAMESPACE\/NAME/);
    assert.throws(() => optionsFromArgs(['--leader-elect', 'yes']), /--leader-elect: expected true or false/);
    assert.throws(() => optionsFromArgs(['--metrics-port', '70000']), /--metrics-port: expected a port number/);
    assert.throws(() => optionsFromArgs(['--log-level', 'loud']), /--log-level/);
    assert.equal(optionsFromArgs(['--help']), 'help');
  });
});
