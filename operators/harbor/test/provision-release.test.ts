// deletionPolicy on real services: Delete removes the tenant's database, role, bucket, objects
// and storage identity; Retain keeps all of it, still usable with the stored credentials.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startPostgres, startS3, type PostgresServer, type S3Server } from '@tugboat/testenv';
import { connect, ensureTenantDatabase, inspectTenantDatabase, type PostgresConnection } from '../src/provision/postgres.js';
import { probeBucket, probeDatabase } from '../src/provision/probes.js';
import { releaseTenantData, type TenantData } from '../src/provision/release.js';
import { ensureTenantBucket, inspectTenantBucket, s3Client, type ObjectStoreConnection, type TenantCredentials } from '../src/provision/s3.js';
import { tenantBucketName, tenantDatabaseName, tenantOwner, tenantStorageUserName } from '../src/render/names.js';

function tenantData(namespace: string, name: string): TenantData {
  const id = tenantDatabaseName(namespace, name);
  return { database: { database: id, role: id }, storage: { bucket: tenantBucketName('harbor-', namespace, name), user: tenantStorageUserName(namespace, name), owner: tenantOwner(namespace, name) } };
}

describe('releasing tenant data by deletionPolicy', { timeout: 180_000 }, () => {
  let pg: PostgresServer;
  let s3: S3Server;
  let services: { postgres: PostgresConnection; objectStore: ObjectStoreConnection };
  const kept = tenantData('tenant-keep', 'registry');
  const dropped = tenantData('tenant-drop', 'registry');
  const creds = new Map<TenantData, TenantCredentials>();
  const password = (t: TenantData) => `pw-${t.database.role.slice(-8)}`;

  before(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    services = {
      postgres: { host: pg.host, port: pg.port, user: pg.adminUser, password: pg.adminPassword, database: 'postgres', sslMode: 'disable' },
      objectStore: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKey: s3.accessKey, secretKey: s3.secretKey },
    };
    for (const t of [kept, dropped]) {
      await ensureTenantDatabase(services.postgres, { ...t.database, password: password(t), connectionLimit: -1 });
      const { credentials } = await ensureTenantBucket(services.objectStore, t.storage);
      creds.set(t, credentials);
      const c = await connect({ ...services.postgres, user: t.database.role, password: password(t), database: t.database.database });
      await c.query('CREATE TABLE project (name text)');
      await c.query("INSERT INTO project VALUES ('library')");
      await c.end();
      const s = s3Client(services.objectStore, credentials);
      await s.send(new PutObjectCommand({ Bucket: t.storage.bucket, Key: 'docker/registry/v2/blob', Body: 'layer' }));
      s.destroy();
    }
  });
  after(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
  });

  it('Retain keeps database, role, bucket, objects and credentials, and says what it kept', async () => {
    const r = await releaseTenantData('Retain', services, kept);
    assert.deepEqual(r, {
      policy: 'Retain',
      retained: [`database ${kept.database.database}`, `role ${kept.database.role}`, `bucket ${kept.storage.bucket}`, `storage user ${kept.storage.user}`],
    });
    const c = await connect({ ...services.postgres, user: kept.database.role, password: password(kept), database: kept.database.database });
    assert.deepEqual((await c.query('SELECT name FROM project')).rows, [{ name: 'library' }]);
    await c.end();
    const credentials = creds.get(kept);
    assert.ok(credentials);
    const s = s3Client(services.objectStore, credentials);
    const got = await s.send(new GetObjectCommand({ Bucket: kept.storage.bucket, Key: 'docker/registry/v2/blob' }));
    assert.equal(await got.Body?.transformToString(), 'layer');
    s.destroy();
  });

  it('Delete removes database, role, bucket with its objects, and the storage identity', async () => {
    const r = await releaseTenantData('Delete', services, dropped);
    assert.deepEqual(r, {
      policy: 'Delete',
      deleted: [`database ${dropped.database.database}`, `role ${dropped.database.role}`, `bucket ${dropped.storage.bucket}`, `storage user ${dropped.storage.user}`],
      deletedObjects: 1,
      kept: [],
    });
    assert.deepEqual(await inspectTenantDatabase(services.postgres, dropped.database), { database: false, role: false });
    assert.deepEqual(await inspectTenantBucket(services.objectStore, dropped.storage), { bucket: false, user: false, accessKeys: [] });
    const db = await probeDatabase({ host: pg.host, port: pg.port, database: dropped.database.database, username: dropped.database.role, password: password(dropped), sslMode: 'disable' });
    assert.equal(!db.ok && db.reason, 'AuthenticationFailed');
    const credentials = creds.get(dropped);
    assert.ok(credentials);
    const bucket = await probeBucket({ ...services.objectStore, bucket: dropped.storage.bucket, ...credentials });
    assert.equal(bucket.ok, false);
    // Deleting one tenant leaves the other alone.
    assert.deepEqual(await inspectTenantDatabase(services.postgres, kept.database), { database: true, role: true, owner: kept.database.role, publicCanConnect: false });
    assert.equal((await inspectTenantBucket(services.objectStore, kept.storage)).bucket, true);
  });
});
