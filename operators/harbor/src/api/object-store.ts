// ObjectStore: a shared S3-compatible store that tenants get a bucket and their own credentials
// on. Cluster scoped for the same reason as PostgresServer.
import { defineCustomKind } from '@tugboat/runtime/crd';
import type { ObjectOf } from '@tugboat/runtime/object';
import { z } from 'zod';
import { conditions, objectName, secretKey } from './common.js';
import { group, version } from './group.js';

export const endpointMessage = 'must be an http:// or https:// URL with a host, e.g. https://s3.example.com';

export const ObjectStoreSpec = z
  .object({
    endpoint: z
      .string()
      .min(1)
      .max(2048)
      .describe('S3 endpoint URL as the registry pods reach it, e.g. http://seaweedfs-s3.storage.svc:8333.')
      .meta({
        'x-kubernetes-validations': [
          {
            rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''",
            message: endpointMessage,
          },
        ],
      }),
    iamEndpoint: z
      .string()
      .max(2048)
      .optional()
      .describe('IAM API endpoint for creating per-tenant users. Defaults to the S3 endpoint (SeaweedFS serves IAM on its S3 port).')
      .meta({
        'x-kubernetes-validations': [
          { rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != ''", message: endpointMessage },
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

export const ObjectStore = defineCustomKind({
  group,
  kind: 'ObjectStore',
  plural: 'objectstores',
  scope: 'Cluster',
  shortNames: ['objstore'],
  categories: ['tugboat'],
  description: 'A shared S3-compatible object store Harbor tenants get a bucket and scoped credentials on.',
  printerColumns: [
    { name: 'Endpoint', type: 'string', jsonPath: '.spec.endpoint' },
    { name: 'Tenants', type: 'integer', jsonPath: '.status.tenants' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  ],
  versions: [{ name: version, spec: ObjectStoreSpec, status: ObjectStoreStatus }],
});
export type ObjectStore = ObjectOf<typeof ObjectStore>;
