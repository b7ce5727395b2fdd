// Every rendered object (both golden Registries, and the migration Job) validated by a real
// kube-apiserver with strict field validation: an unknown or misplaced field, a bad name or an
// invalid value fails here, not on a customer's cluster. The cert-manager Certificate is left
// out: its CRD belongs to cert-manager, which this control plane does not run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import type { KubeObject } from '@tugboat/runtime/object';
import { renderHarbor } from '../src/render/render.js';
import { inputOf } from './fixtures/harbor-input.js';

describe('rendered objects on a real apiserver', { timeout: 120_000 }, () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
    await cp.kubectl(['create', 'namespace', 'tenant-acme']);
  });
  after(async () => {
    await cp?.stop();
  });

  async function dryRun(objects: KubeObject[]): Promise<string> {
    // JSON, as the controller sends it (YAML would need care: kubectl reads YAML 1.1, where a bare `off` is a boolean).
    const list = { apiVersion: 'v1', kind: 'List', items: objects.filter((o) => o.kind !== 'Certificate') };
    return cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '--server-side', '--field-manager=tugboat-test', '-f', '-'], { input: JSON.stringify(list) });
  }

  it('accepts a default Registry', async () => {
    const r = renderHarbor(inputOf());
    const out = await dryRun([...r.objects, r.migrationJob]);
    assert.equal(out.trim().split('\n').length, r.objects.length + 1);
  });

  it('accepts a Registry with every option', async () => {
    const r = renderHarbor(
      inputOf({
        components: {
          core: { replicas: 2, resources: { requests: { cpu: 1, memory: '1Gi' }, limits: { memory: '2Gi' } } },
          registry: { replicas: 2, affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'registry' } } } }] } } },
          trivy: { enabled: true },
          exporter: { enabled: true },
        },
        cache: { mode: 'External', external: { host: 'redis.acme.svc', passwordSecretRef: { name: 'acme-redis-auth' } } },
        expose: { ingress: { host: 'harbor.acme.example', tls: { certManager: { issuerRef: { name: 'le' } } } } },
      }, `customer${'-with-a-very-long-name'.repeat(4)}`),
    );
    const out = await dryRun([...r.objects, r.migrationJob]);
    // Everything but the Certificate, plus the Job.
    assert.equal(out.trim().split('\n').length, r.objects.length);
  });
});
