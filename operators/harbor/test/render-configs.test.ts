// Every component's configuration, by value (golden files for whole files, exact maps for
// environments).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { coreAppConf, coreEnv } from '../src/render/core-config.js';
import { endpoints, externalURL, redisURL } from '../src/render/endpoints.js';
import { exporterEnv } from '../src/render/exporter-config.js';
import { jobserviceConfig, jobserviceEnv } from '../src/render/jobservice-config.js';
import { registryNames } from '../src/render/names.js';
import { portalNginxConf } from '../src/render/portal-config.js';
import { redisConf } from '../src/render/redis-config.js';
import { registryConfig, registryctlConfig } from '../src/render/registry-config.js';
import { trivyEnv } from '../src/render/trivy-config.js';
import { assertGolden } from './golden.js';
import { inputOf, specOf } from './fixtures/harbor-input.js';

describe('component configuration', () => {
  const input = inputOf();

  it('core: app.conf and environment', () => {
    assertGolden('core-app.conf', coreAppConf());
    assertGolden('core-env.json', JSON.stringify(coreEnv(input), null, 2) + '\n');
  });

  it('jobservice: config.yml (no password in it) and environment', () => {
    const yml = jobserviceConfig(input);
    assertGolden('jobservice-config.yml', yml);
    assert.equal(parse(yml).worker_pool.redis_pool.redis_url, 'redis://acme-redis:6379/1');
    assertGolden('jobservice-env.json', JSON.stringify(jobserviceEnv(input), null, 2) + '\n');
  });

  it('registry: config.yml with the S3 driver, the Redis cache and htpasswd auth', () => {
    const yml = registryConfig(input);
    assertGolden('registry-config.yml', yml);
    const c = parse(yml);
    assert.deepEqual(c.storage.s3, {
      region: 'us-east-1',
      regionendpoint: 'http://s3.shared.svc:8333',
      forcepathstyle: true,
      bucket: 'harbor-tenant-acme-acme-1a2b3c4d',
      secure: false,
      skipverify: false,
      v4auth: true,
      rootdirectory: '/',
    });
    assert.deepEqual(c.redis.addrs, ['acme-redis:6379']);
    assert.equal(c.redis.db, 2);
    assert.equal(c.storage.cache.blobdescriptor, 'redis');
    assert.equal(c.storage.redirect.disable, true);
    // Credentials are injected by environment, never written into the file.
    for (const secret of ['S3SECRETKEY', 'AKIATENANTACME', 'REDISPASSWORD', 'HTTPSECRET']) assert.ok(!yml.includes(secret), secret);
    assertGolden('registryctl-config.yml', registryctlConfig(input));
  });

  it('registry: https endpoints are secure; redirects follow the spec', () => {
    const https = { ...input, storage: { ...input.storage, endpoint: 'https://s3.example.com' } };
    assert.equal(parse(registryConfig(https)).storage.s3.secure, true);
    const redirect = { ...input, registry: { ...input.registry, spec: specOf({ storage: { objectStoreRef: { name: 'shared-s3' }, redirect: true } }) } };
    assert.equal(parse(registryConfig(redirect)).storage.redirect.disable, false);
  });

  it('portal: nginx.conf', () => {
    assertGolden('portal-nginx.conf', portalNginxConf());
  });

  it('redis: redis.conf of the dedicated cache', () => {
    assertGolden('redis.conf', redisConf(input));
  });

  it('trivy and exporter: environment', () => {
    assertGolden('trivy-env.json', JSON.stringify(trivyEnv(input), null, 2) + '\n');
    assertGolden('exporter-env.json', JSON.stringify(exporterEnv(input), null, 2) + '\n');
  });
});

describe('endpoints', () => {
  it('derive the external URL from the Ingress when none is given', () => {
    assert.equal(externalURL(specOf()), 'https://registry.acme.example');
    assert.equal(externalURL(specOf({ expose: { ingress: { host: 'r.example' } } })), 'http://r.example');
    assert.equal(externalURL(specOf({ externalURL: 'https://harbor.example/' })), 'https://harbor.example');
  });

  it('point Redis URLs at the dedicated cache or the external one, with a password reference only when there is one', () => {
    const dedicated = endpoints(specOf(), registryNames('acme'));
    assert.equal(redisURL(dedicated, 0, true, '?idle_timeout_seconds=30'), 'redis://:$(REDIS_PASSWORD)@acme-redis:6379/0?idle_timeout_seconds=30');
    const external = endpoints(specOf({ cache: { mode: 'External', external: { host: 'redis.acme.svc', port: 6380 } } }), registryNames('acme'));
    assert.equal(redisURL(external, 2, false), 'redis://redis.acme.svc:6380/2');
  });
});
