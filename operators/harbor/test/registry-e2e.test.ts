// The registry config.yml the renderer produces, run by the real registry (distribution v3, the
// registry Harbor 2.13+ ships) against a real S3 store and a real Redis, with exactly the
// environment the rendered pod spec gives the registry container (secretKeyRefs resolved from the
// rendered Secrets). A blob and an image manifest are pushed and pulled through the registry's
// HTTP API: proof that the rendered configuration works, not only that it parses.
//
// Differences from a pod, all environment-specific: the listen addresses (free loopback ports
// instead of :5000/:5001) and the htpasswd path (a temp file instead of the Secret mounted at
// /etc/registry/passwd), both set through the registry's own REGISTRY_* overrides.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createClient } from 'redis';
import type { ConfigMap, Container, Deployment, Secret } from '@tugboat/runtime/kinds';
import { startRedis, startRegistry, startS3, type RedisServer, type RegistryServer, type S3Server } from '@tugboat/testenv';
import { ensureTenantBucket, s3Client } from '../src/provision/s3.js';
import { registryConfig } from '../src/render/registry-config.js';
import { renderHarbor } from '../src/render/render.js';
import { generateHarborSecrets, registryUser, type HarborSecrets } from '../src/render/secrets.js';
import { internalSecretKeys } from '../src/render/secret-keys.js';
import { tenantBucketName, tenantStorageUserName } from '../src/render/names.js';
import { inputOf } from './fixtures/harbor-input.js';
import type { RenderInput } from '../src/render/input.js';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Resolves a container's env (literal values and secretKeyRefs) against the given Secrets. */
function resolveEnv(c: Container, secrets: Secret[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) out[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const s = secrets.find((x) => x.metadata.name === ref.name);
      const v = s?.data?.[ref.key];
      assert.ok(v !== undefined, `secret ${ref.name}/${ref.key} referenced by ${e.name} was not rendered`);
      out[e.name] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  return out;
}

describe('rendered registry config on the real registry, S3 and Redis', { timeout: 240_000 }, () => {
  let s3: S3Server;
  let redis: RedisServer;
  let registry: RegistryServer;
  let secrets: HarborSecrets;
  let input: RenderInput;
  const redisPassword = 'tenant-redis-password';
  const cacheSecretName = 'acme-cache';

  before(async () => {
    [s3, redis, secrets] = await Promise.all([
      startS3(),
      startRedis({ password: redisPassword }),
      generateHarborSecrets({ tokenKeyBits: 2048 }),
    ]);
    const admin = { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKey: s3.accessKey, secretKey: s3.secretKey };
    const tenant = { bucket: tenantBucketName('harbor-', 'tenant-acme', 'acme'), user: tenantStorageUserName('tenant-acme', 'acme'), owner: 'tenant-acme/acme' };
    // The registry runs with the tenant's scoped credentials, as it would in the cluster.
    const { credentials } = await ensureTenantBucket(admin, tenant);
    const base = inputOf({
      cache: { mode: 'External', external: { host: '127.0.0.1', port: redis.port, passwordSecretRef: { name: cacheSecretName, key: 'password' } } },
    });
    input = {
      ...base,
      secrets,
      storage: { ...base.storage, endpoint: s3.endpoint, bucket: tenant.bucket, accessKey: credentials.accessKey, secretKey: credentials.secretKey },
    };

    const rendered = renderHarbor(input);
    const renderedSecrets = rendered.objects.filter((o): o is Secret => o.kind === 'Secret');
    const userSecret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: cacheSecretName }, data: { password: Buffer.from(redisPassword).toString('base64') } };
    const deployment = rendered.objects.find((o): o is Deployment => o.kind === 'Deployment' && o.metadata.name === 'acme-registry');
    const registryContainer = deployment?.spec?.template.spec.containers.find((c) => c.name === 'registry');
    assert.ok(registryContainer, 'the registry Deployment has a registry container');
    const configMap = rendered.objects.find((o): o is ConfigMap => o.kind === 'ConfigMap' && o.metadata.name === 'acme-registry');
    const config = configMap?.data?.['config.yml'];
    assert.ok(config);
    assert.equal(config, registryConfig(input));

    const env = resolveEnv(registryContainer, [...renderedSecrets, userSecret]);
    const htpasswd = renderedSecrets.find((s) => s.metadata.name === 'acme-harbor-secrets')?.data?.[internalSecretKeys.registryHtpasswd];
    assert.ok(htpasswd);
    registry = await startRegistry(config, {
      env: { ...env, REGISTRY_AUTH_HTPASSWD_PATH: '{{dir}}/passwd' },
      files: { passwd: Buffer.from(htpasswd, 'base64').toString('utf8') + '\n' },
    });
  });

  after(async () => {
    await registry?.stop();
    await Promise.all([s3?.stop(), redis?.stop()]);
  });

  const auth = () => `Basic ${Buffer.from(`${registryUser}:${secrets.registryPassword}`).toString('base64')}`;

  async function pushBlob(repo: string, body: Buffer): Promise<string> {
    const digest = sha256(body);
    const start = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { Authorization: auth() } });
    assert.equal(start.status, 202, `starting an upload: ${await start.text()}`);
    const location = start.headers.get('location');
    assert.ok(location);
    const url = new URL(location, registry.url);
    url.searchParams.set('digest', digest);
    const put = await fetch(url, {
      method: 'PUT',
      headers: { Authorization: auth(), 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) },
      body,
    });
    assert.equal(put.status, 201, `finishing the upload: ${await put.text()}\n${registry.log()}`);
    assert.equal(put.headers.get('docker-content-digest'), digest);
    return digest;
  }

  it('refuses requests without the registry credentials (htpasswd auth from the rendered Secret)', async () => {
    const anonymous = await fetch(`${registry.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /Basic realm="harbor-registry-basic-realm"/);
    const wrong = await fetch(`${registry.url}/v2/`, { headers: { Authorization: `Basic ${Buffer.from(`${registryUser}:wrong`).toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const ok = await fetch(`${registry.url}/v2/`, { headers: { Authorization: auth() } });
    assert.equal(ok.status, 200);
  });

  it('pushes a blob (monolithic upload) and pulls the same bytes back', async () => {
    const body = Buffer.from(`layer bytes ${Date.now()} `.repeat(4096));
    const digest = await pushBlob('library/demo', body);
    const head = await fetch(`${registry.url}/v2/library/demo/blobs/${digest}`, { method: 'HEAD', headers: { Authorization: auth() } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(body.length));
    const get = await fetch(`${registry.url}/v2/library/demo/blobs/${digest}`, { headers: { Authorization: auth() } });
    assert.equal(get.status, 200);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), body);

    // The bytes are in the tenant's bucket (read with the tenant's own keys) ...
    const hex = digest.slice('sha256:'.length);
    const tenantS3 = s3Client(input.storage, input.storage);
    const listed = await tenantS3.send(new ListObjectsV2Command({ Bucket: input.storage.bucket, Prefix: `docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/` }));
    tenantS3.destroy();
    assert.deepEqual(listed.Contents?.map((o) => o.Key), [`docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`]);

    // ... and the blob descriptor cache is in the registry's Redis database (index 2).
    const client = createClient({ socket: { host: '127.0.0.1', port: redis.port }, password: redisPassword, database: 2 });
    await client.connect();
    const keys = await client.keys(`*${hex}*`);
    client.destroy();
    assert.ok(keys.length > 0, 'the registry cached the blob descriptor in Redis db 2');
  });

  it('pushes an image manifest referencing pushed blobs and pulls it by tag', async () => {
    const configBlob = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = Buffer.from('a layer');
    const configDigest = await pushBlob('library/app', configBlob);
    const layerDigest = await pushBlob('library/app', layer);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: configBlob.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
      }),
    );
    const put = await fetch(`${registry.url}/v2/library/app/manifests/v1`, {
      method: 'PUT',
      headers: { Authorization: auth(), 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    assert.equal(put.status, 201, await put.text());
    const get = await fetch(`${registry.url}/v2/library/app/manifests/v1`, {
      headers: { Authorization: auth(), Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(get.status, 200);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), manifest);
    assert.equal(get.headers.get('docker-content-digest'), sha256(manifest));
  });
});
