// Tenant buckets on a real S3 store (SeaweedFS with its IAM API): each tenant gets a bucket and
// an IAM user whose keys reach that bucket and nothing else.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { startS3, type S3Server } from '@tugboat/testenv';
import { probeBucket } from '../src/provision/probes.js';
import {
  BucketNotOwnedError,
  bucketOwner,
  deleteTenantBucket,
  ensureTenantBucket,
  inspectTenantBucket,
  s3Client,
  type ObjectStoreConnection,
  type TenantBucket,
  type TenantCredentials,
} from '../src/provision/s3.js';
import { tenantBucketName, tenantOwner, tenantStorageUserName } from '../src/render/names.js';

function tenant(namespace: string, name: string, bucket = tenantBucketName('harbor-', namespace, name)): TenantBucket {
  return { bucket, user: tenantStorageUserName(namespace, name), owner: tenantOwner(namespace, name) };
}

function notOwned(holder: string | undefined) {
  return (e: unknown) => e instanceof BucketNotOwnedError && e.holder === holder;
}

/** Runs an S3 call expected to fail; resolves with the service error's name and HTTP status. */
async function s3Error(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { name: e.name, status: e.$metadata.httpStatusCode };
    if (e instanceof Error) return { name: e.name, status: undefined };
  }
  assert.fail('the call was expected to be refused');
}

describe('tenant buckets on a real S3 store', { timeout: 120_000 }, () => {
  let s3: S3Server;
  let admin: ObjectStoreConnection;
  const a = tenant('tenant-a', 'registry');
  const b = tenant('tenant-b', 'registry');
  let credsA: TenantCredentials;
  let credsB: TenantCredentials;
  const as = (c: TenantCredentials) => s3Client(admin, c);

  before(async () => {
    s3 = await startS3();
    admin = { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKey: s3.accessKey, secretKey: s3.secretKey };
  });
  after(async () => {
    await s3?.stop();
  });

  it('creates a bucket and a bucket-scoped identity per tenant', async () => {
    const ra = await ensureTenantBucket(admin, a);
    const rb = await ensureTenantBucket(admin, b);
    assert.deepEqual([ra.createdBucket, ra.createdUser, ra.newKey], [true, true, true]);
    assert.deepEqual([rb.createdBucket, rb.createdUser, rb.newKey], [true, true, true]);
    credsA = ra.credentials;
    credsB = rb.credentials;
    assert.notEqual(a.bucket, b.bucket);
    assert.notEqual(credsA.accessKey, credsB.accessKey);
    assert.deepEqual(await inspectTenantBucket(admin, a), { bucket: true, user: true, accessKeys: [credsA.accessKey] });
  });

  it("lets a tenant read and write its own bucket with its own keys", async () => {
    const c = as(credsA);
    await c.send(new PutObjectCommand({ Bucket: a.bucket, Key: 'docker/registry/v2/a.txt', Body: 'data of a' }));
    const got = await c.send(new GetObjectCommand({ Bucket: a.bucket, Key: 'docker/registry/v2/a.txt' }));
    assert.equal(await got.Body?.transformToString(), 'data of a');
    const listed = await c.send(new ListBucketsCommand({}));
    assert.deepEqual(listed.Buckets?.map((x) => x.Name), [a.bucket]);
    c.destroy();
    await as(credsB).send(new PutObjectCommand({ Bucket: b.bucket, Key: 'b.txt', Body: 'data of b' }));
    assert.deepEqual(await probeBucket({ ...admin, bucket: a.bucket, ...credsA }), {
      ok: true,
      message: `bucket ${a.bucket} at ${s3.endpoint} is reachable with the tenant's credentials`,
    });
  });

  it("refuses tenant A's keys on tenant B's bucket (read, write, list) and the reverse", async () => {
    const ca = as(credsA);
    assert.deepEqual(await s3Error(ca.send(new GetObjectCommand({ Bucket: b.bucket, Key: 'b.txt' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(ca.send(new PutObjectCommand({ Bucket: b.bucket, Key: 'x', Body: 'x' }))), { name: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(ca.send(new ListObjectsV2Command({ Bucket: b.bucket }))), { name: 'AccessDenied', status: 403 });
    ca.destroy();
    const cb = as(credsB);
    assert.deepEqual(await s3Error(cb.send(new GetObjectCommand({ Bucket: a.bucket, Key: 'docker/registry/v2/a.txt' }))), { name: 'AccessDenied', status: 403 });
    cb.destroy();
    const probe = await probeBucket({ ...admin, bucket: b.bucket, ...credsA });
    assert.equal(probe.ok, false);
    assert.equal(!probe.ok && probe.reason, 'AccessDenied');
  });

  it('gives tenants no rights beyond their bucket: no new buckets, no IAM', async () => {
    const ca = as(credsA);
    assert.deepEqual(await s3Error(ca.send(new CreateBucketCommand({ Bucket: 'harbor-squatting' }))), { name: 'AccessDenied', status: 403 });
    ca.destroy();
    const iam = new IAMClient({ endpoint: s3.endpoint, region: s3.region, credentials: { accessKeyId: credsA.accessKey, secretAccessKey: credsA.secretKey } });
    await assert.rejects(iam.send(new CreateUserCommand({ UserName: 'intruder' })), (e: Error) => e.name === 'AccessDenied');
    iam.destroy();
  });

  it('keeps stored keys on repeat, and replaces (and revokes) keys that were lost', async () => {
    const again = await ensureTenantBucket(admin, a, credsA);
    assert.deepEqual([again.createdBucket, again.createdUser, again.newKey], [false, false, false]);
    assert.deepEqual(again.credentials, credsA);

    const replaced = await ensureTenantBucket(admin, a);
    assert.equal(replaced.newKey, true);
    assert.notEqual(replaced.credentials.accessKey, credsA.accessKey);
    assert.deepEqual(await inspectTenantBucket(admin, a), { bucket: true, user: true, accessKeys: [replaced.credentials.accessKey] });
    const old = await probeBucket({ ...admin, bucket: a.bucket, ...credsA });
    assert.equal(!old.ok && old.reason, 'AccessDenied');
    credsA = replaced.credentials;
    assert.equal((await probeBucket({ ...admin, bucket: a.bucket, ...credsA })).ok, true);
  });

  it("refuses a tenant that names another tenant's bucket: nothing granted, and Delete leaves the bucket", async () => {
    assert.equal(await bucketOwner(admin, a.bucket), 'tenant-a/registry');
    const squatter = tenant('tenant-c', 'registry', a.bucket);
    await assert.rejects(ensureTenantBucket(admin, squatter), notOwned('tenant-a/registry'));
    assert.deepEqual(await inspectTenantBucket(admin, squatter), { bucket: true, user: false, accessKeys: [] }, 'no user or key was made for it');
    const r = await deleteTenantBucket(admin, squatter);
    assert.deepEqual(r, { deletedObjects: 0, deletedBucket: false, deletedUser: false, notOwned: true });
    const c = as(credsA);
    const got = await c.send(new GetObjectCommand({ Bucket: a.bucket, Key: 'docker/registry/v2/a.txt' }));
    assert.equal(await got.Body?.transformToString(), 'data of a', "A's data is untouched");
    c.destroy();
    assert.equal(await bucketOwner(admin, a.bucket), 'tenant-a/registry');
  });

  it('refuses a bucket that holds data Tugboat did not create, and claims an empty unmarked one', async () => {
    const root = s3Client(admin, admin);
    await root.send(new CreateBucketCommand({ Bucket: 'someone-elses-data' }));
    await root.send(new PutObjectCommand({ Bucket: 'someone-elses-data', Key: 'backup.tar', Body: 'not harbor' }));
    await root.send(new CreateBucketCommand({ Bucket: 'empty-unmarked' }));
    root.destroy();
    await assert.rejects(ensureTenantBucket(admin, tenant('tenant-d', 'registry', 'someone-elses-data')), notOwned(undefined));
    assert.equal(await bucketOwner(admin, 'someone-elses-data'), undefined, 'no marker was written into it');
    // An empty bucket without a marker is what a create looks like when its marker write was lost.
    const d = tenant('tenant-d', 'registry', 'empty-unmarked');
    const r = await ensureTenantBucket(admin, d);
    assert.equal(r.createdBucket, false);
    assert.equal(await bucketOwner(admin, 'empty-unmarked'), 'tenant-d/registry');
    assert.equal((await probeBucket({ ...admin, bucket: d.bucket, ...r.credentials })).ok, true);
  });

  it('gives a new bucket name raced for by two tenants to exactly one of them', async () => {
    const name = 'raced-for-bucket';
    const contenders = ['tenant-e', 'tenant-f', 'tenant-g'].map((ns) => tenant(ns, 'registry', name));
    const results = await Promise.allSettled(contenders.map((t) => ensureTenantBucket(admin, t)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [contenders[i]!.owner] : []));
    assert.equal(won.length, 1, `winners: ${won.join(', ')}; ${results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join('; ')}`);
    assert.equal(await bucketOwner(admin, name), won[0]);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof BucketNotOwnedError, String(r.reason));
  });

  it('revokes the grant of a tenant whose bucket turns out to be owned by another', async () => {
    const h = tenant('tenant-h', 'registry');
    const { credentials } = await ensureTenantBucket(admin, h);
    assert.equal((await probeBucket({ ...admin, bucket: h.bucket, ...credentials })).ok, true);
    // The marker is rewritten (by hand, or by a racing claim on a store that ignores If-None-Match).
    const root = s3Client(admin, admin);
    await root.send(new PutObjectCommand({ Bucket: h.bucket, Key: '.tugboat/owner', Body: 'tenant-x/registry\n' }));
    root.destroy();
    await assert.rejects(ensureTenantBucket(admin, h, credentials), notOwned('tenant-x/registry'));
    const probe = await probeBucket({ ...admin, bucket: h.bucket, ...credentials });
    assert.equal(probe.ok, false, "the refused tenant's key no longer reaches the bucket");
  });

  it('deletes objects, bucket, keys and user; a second delete finds nothing', async () => {
    assert.deepEqual(await deleteTenantBucket(admin, b), { deletedObjects: 1, deletedBucket: true, deletedUser: true });
    assert.deepEqual(await inspectTenantBucket(admin, b), { bucket: false, user: false, accessKeys: [] });
    // B's keys are dead, not merely without a bucket.
    assert.deepEqual(await s3Error(as(credsB).send(new ListBucketsCommand({}))), { name: 'InvalidAccessKeyId', status: 403 });
    assert.deepEqual(await deleteTenantBucket(admin, b), { deletedObjects: 0, deletedBucket: false, deletedUser: false });
    // A is untouched.
    assert.equal((await probeBucket({ ...admin, bucket: a.bucket, ...credsA })).ok, true);
  });
});
