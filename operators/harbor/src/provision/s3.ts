// A tenant's bucket on a shared S3-compatible store, and credentials that can reach that bucket
// and nothing else: an IAM user with an inline policy scoped to the bucket, plus a bucket policy
// naming that user. Both use the standard AWS IAM and S3 APIs; SeaweedFS serves the IAM API on
// its S3 port (it is the default iamEndpoint), AWS and most IAM-capable stores work the same way.
//
// The secret access key exists only in the CreateAccessKey response, so `ensureTenantBucket`
// returns it and the caller must store it (the controller writes it to the tenant's Secret and
// hands it back on the next run, when the key is kept rather than replaced).
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';

export interface ObjectStoreConnection {
  endpoint: string;
  /** Defaults to the S3 endpoint. */
  iamEndpoint?: string;
  region: string;
  forcePathStyle: boolean;
  accessKey: string;
  secretKey: string;
}

export interface TenantBucket {
  bucket: string;
  /** IAM user name of the tenant. */
  user: string;
  /** Who the bucket is for (the Registry's `namespace/name`), written into the bucket's owner marker. */
  owner: string;
}

// Bucket names are chosen by users (spec.storage.bucket) on a store shared by every customer, so
// a name alone proves nothing: without a check, a Registry naming another tenant's bucket would
// be granted it (user and bucket policy) and, with deletionPolicy Delete, would empty it. The
// bucket's owner is recorded in an object inside it when Tugboat creates it (or claims it while
// it is empty), and no policy is granted, and nothing deleted, unless that marker names the tenant.
export const ownerMarkerKey = '.tugboat/owner';

/** The bucket belongs to someone else (another tenant, or data Tugboat did not create). */
export class BucketNotOwnedError extends Error {
  constructor(
    readonly bucket: string,
    /** The other tenant's `namespace/name`, or undefined for a foreign non-empty bucket. For logs only: never show it to the tenant. */
    readonly holder: string | undefined,
  ) {
    super(
      holder !== undefined
        ? `bucket ${bucket} already belongs to another Registry`
        : `bucket ${bucket} already exists with objects in it and was not created by Tugboat`,
    );
    this.name = 'BucketNotOwnedError';
  }
}

export interface TenantCredentials {
  accessKey: string;
  secretKey: string;
}

export const bucketPolicyName = 'harbor-bucket';

export function s3Client(c: Pick<ObjectStoreConnection, 'endpoint' | 'region' | 'forcePathStyle'>, creds: TenantCredentials): S3Client {
  return new S3Client({
    endpoint: c.endpoint,
    region: c.region,
    forcePathStyle: c.forcePathStyle,
    credentials: { accessKeyId: creds.accessKey, secretAccessKey: creds.secretKey },
    // A provisioning step or probe should fail fast and be retried by the controller.
    maxAttempts: 2,
  });
}

export function iamClient(c: ObjectStoreConnection): IAMClient {
  return new IAMClient({
    endpoint: c.iamEndpoint ?? c.endpoint,
    region: c.region,
    credentials: { accessKeyId: c.accessKey, secretAccessKey: c.secretKey },
    maxAttempts: 2,
  });
}

/** The statements granting full use of one bucket and its objects. */
export function bucketStatement(bucket: string): { Effect: 'Allow'; Action: string[]; Resource: string[] } {
  return { Effect: 'Allow', Action: ['s3:*'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] };
}

export function userPolicy(bucket: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [bucketStatement(bucket)] });
}

export function bucketPolicy(bucket: string, user: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'TenantAccess', Principal: { AWS: [`arn:aws:iam:::user/${user}`] }, ...bucketStatement(bucket) }],
  });
}

function errorName(e: unknown): string {
  if (e instanceof S3ServiceException || e instanceof IAMServiceException) return e.name;
  return e instanceof Error ? e.name : String(e);
}

function status(e: unknown): number | undefined {
  return e instanceof S3ServiceException || e instanceof IAMServiceException ? e.$metadata.httpStatusCode : undefined;
}

function isNotFound(e: unknown): boolean {
  return ['NoSuchEntity', 'NoSuchBucket', 'NotFound', 'NoSuchKey'].includes(errorName(e)) || status(e) === 404;
}

async function readOwner(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: ownerMarkerKey }));
    return ((await r.Body?.transformToString('utf8')) ?? '').trim();
  } catch (e) {
    if (errorName(e) === 'NoSuchKey' || (status(e) === 404 && errorName(e) !== 'NoSuchBucket')) return undefined;
    throw e;
  }
}

/** Who the bucket's owner marker names: a tenant's `namespace/name`, or undefined when it has none. */
export async function bucketOwner(admin: ObjectStoreConnection, bucket: string): Promise<string | undefined> {
  const s3 = s3Client(admin, admin);
  try {
    return await readOwner(s3, bucket);
  } finally {
    s3.destroy();
  }
}

/**
 * Makes `owner` the bucket's owner, or throws BucketNotOwnedError. An unmarked bucket is claimed
 * only when this call created it or it is empty (a create whose marker write was lost, or two
 * tenants racing for a new name): a bucket with data in it and no marker is someone else's.
 * The marker is written with If-None-Match so that of two racing claims one wins, and read back
 * so a store that ignores the condition still ends with exactly one owner per bucket.
 */
async function claimBucket(s3: S3Client, bucket: string, owner: string, created: boolean): Promise<void> {
  let holder = await readOwner(s3, bucket);
  if (holder === undefined) {
    if (!created) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
      if ((page.KeyCount ?? page.Contents?.length ?? 0) > 0) throw new BucketNotOwnedError(bucket, undefined);
    }
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: ownerMarkerKey, Body: `${owner}\n`, ContentType: 'text/plain', IfNoneMatch: '*' }));
    } catch (e) {
      if (status(e) !== 412 && errorName(e) !== 'PreconditionFailed') throw e;
    }
    holder = await readOwner(s3, bucket);
  }
  if (holder !== owner) throw new BucketNotOwnedError(bucket, holder);
}

export interface EnsureBucketResult {
  credentials: TenantCredentials;
  createdBucket: boolean;
  createdUser: boolean;
  /** True when a new access key was made: the caller must store `credentials`. */
  newKey: boolean;
}

/**
 * Makes sure the bucket, the tenant's IAM user, its bucket-scoped policy and the bucket policy
 * exist. `existing` are the credentials stored from an earlier run: kept if the store still
 * knows that key, replaced otherwise (and any other keys of the user are removed).
 */
export async function ensureTenantBucket(admin: ObjectStoreConnection, t: TenantBucket, existing?: TenantCredentials): Promise<EnsureBucketResult> {
  const s3 = s3Client(admin, admin);
  const iam = iamClient(admin);
  try {
    let createdBucket = false;
    try {
      await s3.send(new HeadBucketCommand({ Bucket: t.bucket }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await s3.send(new CreateBucketCommand({ Bucket: t.bucket }));
        createdBucket = true;
      } catch (ce) {
        if (errorName(ce) !== 'BucketAlreadyOwnedByYou') throw ce;
      }
    }
    try {
      await claimBucket(s3, t.bucket, t.owner, createdBucket);
    } catch (e) {
      // A refused tenant must hold no grant on the bucket, including one left by an earlier run.
      if (e instanceof BucketNotOwnedError) await revokeUserPolicy(iam, t.user);
      throw e;
    }

    let createdUser = false;
    try {
      await iam.send(new GetUserCommand({ UserName: t.user }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await iam.send(new CreateUserCommand({ UserName: t.user }));
      createdUser = true;
    }
    await iam.send(new PutUserPolicyCommand({ UserName: t.user, PolicyName: bucketPolicyName, PolicyDocument: userPolicy(t.bucket) }));

    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: t.user }))).AccessKeyMetadata ?? [];
    let credentials = existing && keys.some((k) => k.AccessKeyId === existing.accessKey) ? existing : undefined;
    const newKey = credentials === undefined;
    if (!credentials) {
      const created = (await iam.send(new CreateAccessKeyCommand({ UserName: t.user }))).AccessKey;
      if (!created?.AccessKeyId || !created.SecretAccessKey) throw new Error(`the object store returned no access key for user ${t.user}`);
      credentials = { accessKey: created.AccessKeyId, secretKey: created.SecretAccessKey };
    }
    // Keys nobody holds any more (a lost Secret, a replaced key) are removed, not left valid.
    for (const k of keys) {
      if (k.AccessKeyId && k.AccessKeyId !== credentials.accessKey) {
        await iam.send(new DeleteAccessKeyCommand({ UserName: t.user, AccessKeyId: k.AccessKeyId }));
      }
    }
    await s3.send(new PutBucketPolicyCommand({ Bucket: t.bucket, Policy: bucketPolicy(t.bucket, t.user) }));
    return { credentials, createdBucket, createdUser, newKey };
  } finally {
    s3.destroy();
    iam.destroy();
  }
}

async function revokeUserPolicy(iam: IAMClient, user: string): Promise<void> {
  try {
    await iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: bucketPolicyName }));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export interface DeleteBucketResult {
  deletedObjects: number;
  deletedBucket: boolean;
  deletedUser: boolean;
  /** The bucket was left alone because its owner marker does not name this tenant. */
  notOwned?: true;
}

/**
 * Deletes every object and the bucket when its owner marker names this tenant, then the tenant's
 * access keys, policies and user (those carry the tenant's own name, so they are always its own).
 */
export async function deleteTenantBucket(admin: ObjectStoreConnection, t: TenantBucket): Promise<DeleteBucketResult> {
  const s3 = s3Client(admin, admin);
  const iam = iamClient(admin);
  try {
    let deletedObjects = 0;
    let deletedBucket = false;
    let notOwned = false;
    try {
      if ((await readOwner(s3, t.bucket)) === t.owner) {
        // Unfinished multipart uploads (the registry uploads layers that way) also keep a bucket
        // from being deleted.
        const uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: t.bucket }))).Uploads ?? [];
        for (const u of uploads) {
          if (u.Key && u.UploadId) await s3.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: u.Key, UploadId: u.UploadId }));
        }
        for (;;) {
          const page = await s3.send(new ListObjectsV2Command({ Bucket: t.bucket, MaxKeys: 1000 }));
          // The owner marker is bookkeeping, not the tenant's data: it is not counted.
          const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
          if (keys.length === 0) break;
          await s3.send(new DeleteObjectsCommand({ Bucket: t.bucket, Delete: { Objects: keys, Quiet: true } }));
          deletedObjects += keys.filter((k) => k.Key !== ownerMarkerKey).length;
        }
        await s3.send(new DeleteBucketCommand({ Bucket: t.bucket }));
        deletedBucket = true;
      } else {
        notOwned = true;
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }

    let deletedUser = false;
    try {
      const keys = (await iam.send(new ListAccessKeysCommand({ UserName: t.user }))).AccessKeyMetadata ?? [];
      for (const k of keys) {
        if (k.AccessKeyId) await iam.send(new DeleteAccessKeyCommand({ UserName: t.user, AccessKeyId: k.AccessKeyId }));
      }
      const policies = (await iam.send(new ListUserPoliciesCommand({ UserName: t.user }))).PolicyNames ?? [];
      for (const p of policies) await iam.send(new DeleteUserPolicyCommand({ UserName: t.user, PolicyName: p }));
      await iam.send(new DeleteUserCommand({ UserName: t.user }));
      deletedUser = true;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return { deletedObjects, deletedBucket, deletedUser, ...(notOwned ? { notOwned: true as const } : {}) };
  } finally {
    s3.destroy();
    iam.destroy();
  }
}

export interface TenantBucketState {
  bucket: boolean;
  user: boolean;
  accessKeys: string[];
}

/** What exists of a tenant on the store; for status and for tests. */
export async function inspectTenantBucket(admin: ObjectStoreConnection, t: Pick<TenantBucket, 'bucket' | 'user'>): Promise<TenantBucketState> {
  const s3 = s3Client(admin, admin);
  const iam = iamClient(admin);
  try {
    let bucket = true;
    try {
      await s3.send(new HeadBucketCommand({ Bucket: t.bucket }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      bucket = false;
    }
    try {
      await iam.send(new GetUserCommand({ UserName: t.user }));
      const keys = (await iam.send(new ListAccessKeysCommand({ UserName: t.user }))).AccessKeyMetadata ?? [];
      return { bucket, user: true, accessKeys: keys.flatMap((k) => (k.AccessKeyId ? [k.AccessKeyId] : [])) };
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return { bucket, user: false, accessKeys: [] };
    }
  } finally {
    s3.destroy();
    iam.destroy();
  }
}
