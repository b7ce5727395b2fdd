// The Kubernetes objects rendered for a Registry, by value: golden YAML for two complete
// Registries, and the properties a user would notice — pods roll exactly when what they read
// changes, no secret value leaks outside a Secret, names fit, optional parts come and go.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { Container, Deployment, Ingress, NetworkPolicy, Secret } from '@tugboat/runtime/kinds';
import type { KubeObject } from '@tugboat/runtime/object';
import type { RegistrySpecInput } from '../src/api/registry.js';
import { checksumAnnotation } from '../src/render/checksum.js';
import type { RenderInput } from '../src/render/input.js';
import { renderHarbor } from '../src/render/render.js';
import { retainWithDataAnnotation } from '../src/render/secret-manifests.js';
import { assertGolden } from './golden.js';
import { fixedSecrets, inputOf, specOf } from './fixtures/harbor-input.js';

const fullSpec: Partial<RegistrySpecInput> = {
  externalURL: 'https://harbor.acme.example',
  expose: {
    ingress: {
      host: 'harbor.acme.example',
      className: 'nginx',
      annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '600' },
      tls: { certManager: { issuerRef: { name: 'letsencrypt' } } },
    },
  },
  components: {
    core: { replicas: 2, resources: { requests: { cpu: '500m', memory: '512Mi' } }, priorityClassName: 'tenant-high' },
    registry: {
      replicas: 3,
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'registry' } } } }] } },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'registry', effect: 'NoSchedule' }],
      nodeSelector: { 'node-role/registry': 'true' },
    },
    trivy: { enabled: true },
    exporter: { enabled: true },
  },
  cache: { mode: 'External', external: { host: 'redis.acme.svc', port: 6379, passwordSecretRef: { name: 'acme-redis-auth', key: 'password' } } },
  adminPasswordSecretRef: { name: 'acme-admin', key: 'password' },
  encryptionKeySecretRef: { name: 'acme-encryption', key: 'key' },
  deletionPolicy: 'Delete',
  imagePullSecrets: [{ name: 'mirror-pull' }],
  imageRepository: 'mirror.example.com/goharbor',
};

function find<T extends KubeObject>(objects: KubeObject[], kind: string, name: string): T {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} is rendered`);
  return o as T;
}

function checksums(input: RenderInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of renderHarbor(input).objects) {
    if (o.kind === 'Deployment') out[o.metadata.name ?? ''] = (o as Deployment).spec?.template.metadata?.annotations?.[checksumAnnotation] ?? '';
  }
  return out;
}

function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((k) => a[k] !== b[k]).sort();
}

function containers(objects: KubeObject[], name: string): Container[] {
  return find<Deployment>(objects, 'Deployment', name).spec?.template.spec.containers ?? [];
}

describe('rendered manifests', () => {
  it('renders a default Registry (golden)', () => {
    const r = renderHarbor(inputOf());
    assertGolden('manifests-default.yaml', r.objects.map((o) => stringify(o)).join('---\n'));
    assertGolden('migration-job-default.yaml', stringify(r.migrationJob));
  });

  it('renders a Registry with every option (golden)', () => {
    const r = renderHarbor(inputOf(fullSpec));
    assertGolden('manifests-full.yaml', r.objects.map((o) => stringify(o)).join('---\n'));
  });

  it('orders objects so that what a pod mounts exists before the pod', () => {
    const kinds = renderHarbor(inputOf()).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    const at = (k: string) => kinds.indexOf(k);
    assert.ok(at('Secret/acme-harbor-secrets') < at('Deployment/acme-core'));
    assert.ok(at('ConfigMap/acme-registry') < at('Deployment/acme-registry'));
    assert.ok(at('Deployment/acme-redis') < at('Deployment/acme-registry'));
    assert.ok(at('Deployment/acme-registry') < at('Deployment/acme-core'));
    assert.equal(kinds.at(-1), 'Ingress/acme-harbor');
  });

  it('keeps every secret value inside Secrets', () => {
    const input = inputOf(fullSpec);
    const r = renderHarbor(input);
    const values = [...Object.values(fixedSecrets), input.database.password, input.storage.secretKey];
    for (const o of [...r.objects.filter((x) => x.kind !== 'Secret'), r.migrationJob]) {
      const text = JSON.stringify(o);
      for (const v of values) assert.ok(!text.includes(v), `${o.kind}/${o.metadata.name} contains a secret value`);
    }
  });

  it('rolls exactly the pods whose configuration or secrets changed', () => {
    const base = inputOf();
    const before = checksums(base);
    assert.deepEqual(checksums(inputOf()), before, 'rendering is deterministic');

    const rotatedS3 = { ...base, storage: { ...base.storage, secretKey: 'NEW' } };
    assert.deepEqual(changed(before, checksums(rotatedS3)), ['acme-registry']);

    const rotatedDb = { ...base, database: { ...base.database, password: 'NEW' } };
    assert.deepEqual(changed(before, checksums(rotatedDb)), ['acme-core']);

    const redis = { ...base, secrets: { ...base.secrets, redisPassword: 'NEW' } };
    assert.deepEqual(changed(before, checksums(redis)), ['acme-core', 'acme-jobservice', 'acme-redis', 'acme-registry']);

    const workers = inputOf({ components: { jobservice: { workers: 20 } } });
    assert.deepEqual(changed(before, checksums(workers)), ['acme-jobservice']);

    const bucket = { ...base, storage: { ...base.storage, bucket: 'other-bucket' } };
    assert.deepEqual(changed(before, checksums(bucket)), ['acme-registry']);

    const userSecret = { ...base, userSecretsDigest: 'changed' };
    assert.deepEqual(changed(before, checksums(userSecret)), ['acme-core', 'acme-jobservice', 'acme-registry']);
  });

  it('keeps generated names and labels within 63 characters for a very long Registry name', () => {
    const name = `a${'-very-long-customer-name'.repeat(8)}`;
    const r = renderHarbor(inputOf({}, name));
    for (const o of [...r.objects, r.migrationJob]) {
      assert.ok((o.metadata.name ?? '').length <= 63, o.metadata.name);
      for (const v of Object.values(o.metadata.labels ?? {})) assert.ok(v.length <= 63, v);
    }
    // References follow the shortened names.
    const core = find<Deployment>(r.objects, 'Deployment', r.objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'core')?.metadata.name ?? '');
    const refs = core.spec?.template.spec.containers[0]?.env?.flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])) ?? [];
    const secrets = new Set(r.objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name));
    for (const ref of refs) assert.ok(secrets.has(ref), `core reads Secret ${ref}, which is rendered`);
  });

  it('exposes core paths and the portal through the Ingress, with the TLS Secret', () => {
    const ing = find<Ingress>(renderHarbor(inputOf()).objects, 'Ingress', 'acme-harbor');
    assert.equal(ing.spec?.ingressClassName, 'nginx');
    assert.deepEqual(ing.spec?.tls, [{ hosts: ['registry.acme.example'], secretName: 'acme-registry-tls' }]);
    assert.deepEqual(
      ing.spec?.rules?.[0]?.http?.paths.map((p) => [p.path, p.backend.service?.name]),
      [['/api/', 'acme-core'], ['/service/', 'acme-core'], ['/v2/', 'acme-core'], ['/c/', 'acme-core'], ['/', 'acme-portal']],
    );
    assert.equal(ing.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'], '0');
  });

  it('asks cert-manager for a certificate when told to', () => {
    const r = renderHarbor(inputOf(fullSpec));
    const cert = find<KubeObject & { spec: unknown }>(r.objects, 'Certificate', 'acme-tls');
    assert.deepEqual(cert.spec, {
      secretName: 'acme-tls',
      dnsNames: ['harbor.acme.example'],
      issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      privateKey: { rotationPolicy: 'Always', algorithm: 'ECDSA', size: 256 },
    });
    assert.equal(find<Ingress>(r.objects, 'Ingress', 'acme-harbor').spec?.tls?.[0]?.secretName, 'acme-tls');
    assert.equal(renderHarbor(inputOf()).objects.some((o) => o.kind === 'Certificate'), false);
  });

  it('renders NetworkPolicies only when enabled, and lets only this Registry reach its cache and registry', () => {
    assert.equal(renderHarbor(inputOf({ networkPolicies: { enabled: false } })).objects.some((o) => o.kind === 'NetworkPolicy'), false);
    const r = renderHarbor(inputOf());
    const redis = find<NetworkPolicy>(r.objects, 'NetworkPolicy', 'acme-redis-netpol');
    assert.deepEqual(redis.spec?.podSelector.matchLabels, { 'app.kubernetes.io/name': 'harbor', 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/component': 'redis' });
    const peers = redis.spec?.ingress?.[0]?.from ?? [];
    assert.ok(peers.length > 0);
    for (const p of peers) {
      assert.equal(p.namespaceSelector, undefined, 'no other namespace');
      assert.equal(p.podSelector?.matchLabels?.['app.kubernetes.io/instance'], 'acme');
    }
    const registry = find<NetworkPolicy>(r.objects, 'NetworkPolicy', 'acme-registry-netpol');
    assert.deepEqual(registry.spec?.ingress?.[0]?.from?.map((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/component']), ['core', 'jobservice']);
  });

  it('adds PodDisruptionBudgets for components with two or more replicas only', () => {
    const pdbs = renderHarbor(inputOf(fullSpec)).objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name);
    assert.deepEqual(pdbs, ['acme-core-pdb', 'acme-registry-pdb']);
    assert.deepEqual(renderHarbor(inputOf()).objects.filter((o) => o.kind === 'PodDisruptionBudget'), []);
  });

  it('renders the dedicated Redis only in Dedicated mode; an external cache is used with the user\'s password Secret', () => {
    const dedicated = renderHarbor(inputOf()).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.ok(dedicated.includes('Deployment/acme-redis') && dedicated.includes('Secret/acme-redis') && dedicated.includes('Service/acme-redis'));
    const external = renderHarbor(inputOf(fullSpec)).objects;
    assert.equal(external.some((o) => o.metadata.name === 'acme-redis'), false);
    const core = containers(external, 'acme-core')[0];
    assert.deepEqual(core?.env?.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom, { secretKeyRef: { name: 'acme-redis-auth', key: 'password' } });
    assert.equal(core?.env?.find((e) => e.name === '_REDIS_URL_CORE')?.value, 'redis://:$(REDIS_PASSWORD)@redis.acme.svc:6379/0?idle_timeout_seconds=30');

    const noAuth = renderHarbor(inputOf({ cache: { mode: 'External', external: { host: 'redis.acme.svc' } } })).objects;
    const env = containers(noAuth, 'acme-core')[0]?.env ?? [];
    assert.equal(env.some((e) => e.name === 'REDIS_PASSWORD'), false);
    assert.equal(env.find((e) => e.name === '_REDIS_URL_CORE')?.value, 'redis://redis.acme.svc:6379/0?idle_timeout_seconds=30');
  });

  it("uses the user's admin password and encryption key Secrets when named, and generates them otherwise", () => {
    const user = renderHarbor(inputOf(fullSpec)).objects;
    const core = find<Deployment>(user, 'Deployment', 'acme-core').spec?.template.spec;
    assert.deepEqual(core?.containers[0]?.env?.find((e) => e.name === 'HARBOR_ADMIN_PASSWORD')?.valueFrom, { secretKeyRef: { name: 'acme-admin', key: 'password' } });
    assert.deepEqual(core?.volumes?.find((v) => v.name === 'secret-key')?.secret, { secretName: 'acme-encryption', items: [{ key: 'key', path: 'key' }], defaultMode: 0o400 });
    assert.equal(user.some((o) => o.metadata.name === 'acme-harbor-admin' || o.metadata.name === 'acme-harbor-encryption-key'), false);

    const generated = renderHarbor(inputOf()).objects;
    const key = find<Secret>(generated, 'Secret', 'acme-harbor-encryption-key');
    assert.equal(Buffer.from(key.data?.['secret-key'] ?? '', 'base64').toString(), fixedSecrets.encryptionKey);
    assert.equal(key.metadata.annotations?.[retainWithDataAnnotation], 'true');
    assert.equal(find<Secret>(generated, 'Secret', 'acme-database').metadata.annotations?.[retainWithDataAnnotation], 'true');
  });

  it('migrates with core\'s image, configuration and secrets, one Job per version', () => {
    const input = inputOf({ version: '2.15.2' });
    const r = renderHarbor(input);
    const job = r.migrationJob;
    assert.equal(job.metadata.name, 'acme-migrate-2-15-2');
    const migrate = job.spec?.template.spec.containers[0];
    const core = containers(r.objects, 'acme-core')[0];
    assert.deepEqual(migrate?.command, ['/harbor/harbor_core', '-mode=migrate']);
    assert.equal(migrate?.image, 'docker.io/goharbor/harbor-core:v2.15.2');
    assert.deepEqual(migrate?.env, core?.env);
    assert.deepEqual(migrate?.volumeMounts, core?.volumeMounts);
    assert.equal(job.spec?.template.spec.restartPolicy, 'Never');
    assert.equal(renderHarbor(inputOf({ version: '2.15.3' })).migrationJob.metadata.name, 'acme-migrate-2-15-3');
  });

  it('applies per-component replicas, resources and placement', () => {
    const r = renderHarbor(inputOf(fullSpec)).objects;
    const registry = find<Deployment>(r, 'Deployment', 'acme-registry').spec;
    assert.equal(registry?.replicas, 3);
    assert.equal(registry?.template.spec.nodeSelector?.['node-role/registry'], 'true');
    assert.deepEqual(registry?.template.spec.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'registry', effect: 'NoSchedule' }]);
    assert.ok(registry?.template.spec.affinity);
    const core = find<Deployment>(r, 'Deployment', 'acme-core').spec;
    assert.equal(core?.template.spec.priorityClassName, 'tenant-high');
    assert.deepEqual(core?.template.spec.containers[0]?.resources, { requests: { cpu: '500m', memory: '512Mi' } });
    assert.equal(core?.template.spec.containers[0]?.image, 'mirror.example.com/goharbor/harbor-core:v2.15.2');
    assert.equal(specOf(fullSpec).components.portal.replicas, 1);
  });
});
