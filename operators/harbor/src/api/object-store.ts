// ObjectStore: a shared S3-compatible store that tenants get a bucket and their own credentials
// on. Cluster scoped for the same reason as PostgresServer.
import { z } from 'zod';
import { conditions, isHttpURL, objectName, secretKey } from './common.js';

export const ObjectStoreSpec = z
  .object({
    endpoint: z
      .string()
      .min(1)
      .max(2048)
      .refine(isHttpURL, 'must be an http:// or https:// URL with a host, e.g. https://s3.example.com')
      .describe('S3 endpoint URL as the registry pods reach it, e.g. http://seaweedfs-s3.storage.svc:8333.')
      .meta({
        'x-kubernetes-validations': [
          {
            rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",
            message: 'must be an http:// or https:// URL with a host, e.g. https://s3.example.com',
          },
        ],
      }),
    iamEndpoint: z
      .string()
      .max(2048)
      .refine(isHttpURL, 'must be an http:// or https:// URL with a host')
      .optional()
      .describe('IAM API endpoint for creating per-tenant users. Defaults to the S3 endpoint (SeaweedFS serves IAM on its S3 port).')
      .meta({
        'x-kubernetes-validations': [
          { rule: "isURL(self) && url(self).getScheme() in ['http', 'https']", message: 'must be an http:// or https:// URL' },
        ],
      }),
    region: z.string().min(1).max(64).default('us-east-1').describe('Region used for request signing.'),
    forcePathStyle: z
      .boolean()
      .default(true)
      .describe('Address buckets as endpoint/bucket instead of bucket.endpoint; most self-hosted stores need this.'),
    skipTLSVerify: z.boolean().default(false).describe('Do not verify the endpoint\'s TLS certificate (testing only).'),
    bucketPrefix: z
      .string()
      .max(20)
      .regex(/^([a-z0-9][a-z0-9-]*)?$/, 'must be lowercase letters, digits and "-", starting with a letter or digit')
      .default('harbor-')
      .describe('Prefix of every tenant bucket name, so the store\'s owner can tell them apart.'),
    adminCredentials: z
      .object({
        secretRef: z
          .object({
            name: objectName.describe('Name of the Secret.'),
            namespace: objectName.max(63).describe('Namespace of the Secret.'),
          })
          .describe('The Secret holding admin keys: allowed to create buckets, IAM users and policies.'),
        accessKeyKey: secretKey.default('accessKey').describe('Key of the access key id in the Secret.'),
        secretKeyKey: secretKey.default('secretKey').describe('Key of the secret access key in the Secret.'),
      })
      .describe('Credentials the operator uses to create buckets and tenant identities.'),
  })
  .describe('A shared S3-compatible object store Harbor tenants get a bucket on.');

export const ObjectStoreStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions,
  tenants: z.number().int().optional().describe('Number of Registries using this store.'),
});

export type ObjectStoreSpec = z.infer<typeof ObjectStoreSpec>;
export type ObjectStoreSpecInput = z.input<typeof ObjectStoreSpec>;
export type ObjectStoreStatus = z.infer<typeof ObjectStoreStatus>;

export interface ObjectStore {
  apiVersion: string;
  kind: 'ObjectStore';
  metadata: { name: string; uid?: string; generation?: number; [k: string]: unknown };
  spec: ObjectStoreSpec;
  status?: ObjectStoreStatus;
}

export const objectStoreNames = { kind: 'ObjectStore', plural: 'objectstores', singular: 'objectstore', shortNames: ['os3'] } as const;
