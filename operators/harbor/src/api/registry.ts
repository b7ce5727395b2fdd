// Registry: one Harbor for one customer, in the customer's namespace, on shared PostgreSQL and
// object storage with a Redis of its own. The spec says what the customer wants (version, where
// it is reachable, how big); the operator owns everything that follows from it.
import { defineCustomKind } from '@tugboat/runtime/crd';
import type { ObjectOf } from '@tugboat/runtime/object';
import { z } from 'zod';
import { clusterObjectRef, conditions, hostName, localSecretKeyRef, objectName, resources, workload } from './common.js';
import { group, version } from './group.js';
import { defaultHarborVersion, versionPattern } from './versions.js';

const component = (what: string) => z.object(workload).prefault({}).describe(`Sizing and placement of ${what}.`);

const optionalComponent = (what: string) =>
  z
    .object({ enabled: z.boolean().default(false).describe(`Run ${what}.`), ...workload })
    .prefault({})
    .describe(`${what[0]?.toUpperCase()}${what.slice(1)}: optional, off by default.`);

export const issuerRef = z
  .object({
    name: objectName.describe('Name of the issuer.'),
    kind: z.enum(['Issuer', 'ClusterIssuer']).default('ClusterIssuer').describe('Issuer (same namespace) or ClusterIssuer.'),
    group: z.string().default('cert-manager.io').describe('API group of the issuer.'),
  })
  .describe('A cert-manager issuer.');

export const ingressTLS = z
  .object({
    secretName: objectName
      .optional()
      .describe('An existing kubernetes.io/tls Secret in this namespace with the certificate for the host.'),
    certManager: z
      .object({ issuerRef })
      .optional()
      .describe('Have cert-manager issue the certificate: a Certificate is created for the host.'),
  })
  .describe('TLS for the Ingress. Give exactly one of secretName or certManager.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'has(self.secretName) != has(self.certManager)',
        message: 'give exactly one of tls.secretName (an existing certificate) or tls.certManager (issue one)',
      },
    ],
  });

export const ExposeSpec = z
  .object({
    ingress: z
      .object({
        host: hostName.describe('Host name the registry is reached at, e.g. registry.acme.example.'),
        className: objectName.optional().describe('IngressClass to use; the cluster default when left out.'),
        annotations: z.record(z.string(), z.string()).optional().describe('Extra annotations on the Ingress.'),
        tls: ingressTLS.optional(),
      })
      .describe('Expose Harbor through an Ingress: /api/, /service/, /v2/ and /c/ go to core, the rest to the portal.'),
  })
  .describe('How clients reach the registry.');

export const DatabaseSpec = z
  .object({
    serverRef: clusterObjectRef.describe('The PostgresServer the tenant database is created on.'),
    maxIdleConns: z.number().int().min(0).default(10).describe('Idle connections each core pod keeps.'),
    maxOpenConns: z.number().int().min(1).default(50).describe('Open connections each core pod may use.'),
  })
  .describe('Where Harbor\'s database lives. A database and a login role are created for this Registry alone.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'self.serverRef == oldSelf.serverRef',
        message: 'database.serverRef is immutable: the data lives on that server; to move, migrate the database and create a new Registry',
      },
    ],
  });

export const StorageSpec = z
  .object({
    objectStoreRef: clusterObjectRef.describe('The ObjectStore the tenant bucket is created on.'),
    bucket: z
      .string()
      .min(3)
      .max(63)
      .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'must be a valid S3 bucket name: 3-63 lowercase letters, digits, "." and "-"')
      .optional()
      .describe('Bucket name. Defaults to the store\'s bucketPrefix + namespace + name (shortened with a hash when too long).'),
    redirect: z
      .boolean()
      .default(false)
      .describe('Let clients download blobs straight from the store (pre-signed redirects). Only when clients can reach the store\'s endpoint.'),
  })
  .describe('Where images are stored. Immutable: changing it would orphan every stored image.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'self == oldSelf',
        message: 'storage is immutable: images live in that bucket; to move, copy the bucket and create a new Registry',
      },
    ],
  });

export const cacheModes = ['Dedicated', 'External'] as const;

export const CacheSpec = z
  .object({
    mode: z
      .enum(cacheModes)
      .default('Dedicated')
      .describe(
        'Dedicated: the operator runs a small Redis for this Registry alone. External: a Redis you run for this Registry alone. ' +
          'Tenants never share one Redis: Harbor pins core to database 0, so two Harbors on one server would read each other\'s keys.',
      ),
    dedicated: z
      .object({
        image: z.string().min(1).default('docker.io/library/redis:7.2-alpine').describe('Redis image.'),
        maxMemory: z
          .string()
          .regex(/^\d+(kb|mb|gb)$/, 'must be a Redis memory size such as 256mb')
          .default('256mb')
          .describe('Redis maxmemory; keys are evicted (allkeys-lru) beyond it.'),
        resources: resources.optional(),
        priorityClassName: objectName.optional(),
      })
      .prefault({})
      .describe('Settings of the dedicated Redis (mode Dedicated).'),
    external: z
      .object({
        host: hostName.describe('Redis host.'),
        port: z.number().int().min(1).max(65535).default(6379),
        passwordSecretRef: localSecretKeyRef.optional().describe('Secret with the Redis password.'),
      })
      .optional()
      .describe('The Redis to use (mode External). It must not be shared with another Registry.'),
  })
  .prefault({})
  .describe('Harbor\'s cache and job queue.')
  .meta({
    'x-kubernetes-validations': [
      // The default ({}) is checked before its own fields are defaulted, so mode may be absent.
      { rule: "!has(self.mode) || self.mode != 'External' || has(self.external)", message: 'cache.mode External needs cache.external (host, port, passwordSecretRef)' },
    ],
  });

export const externalURLMessage = 'must be an http:// or https:// URL with a host and no path, e.g. https://registry.acme.example';

export const deletionPolicies = ['Retain', 'Delete'] as const;
export const logLevels = ['debug', 'info', 'warning', 'error', 'fatal'] as const;

export const RegistrySpec = z
  .object({
    version: z
      .string()
      .regex(versionPattern, 'must be a Harbor release such as 2.15.2')
      .default(defaultHarborVersion)
      .describe('Harbor release, e.g. 2.15.2. Upgrades run the database migration before core rolls; downgrades are refused.'),
    externalURL: z
      .string()
      .max(2048)
      .optional()
      .describe('URL users reach Harbor at. Defaults to https://<ingress host> with TLS, http:// without.')
      .meta({
        'x-kubernetes-validations': [
          {
            rule: "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHostname() != '' && url(self).getEscapedPath() in ['', '/']",
            message: externalURLMessage,
          },
        ],
      }),
    expose: ExposeSpec,
    components: z
      .object({
        core: component('harbor-core (API, token service, UI backend)'),
        portal: component('the web UI (nginx)'),
        jobservice: z
          .object({ ...workload, workers: z.number().int().min(1).max(100).default(10).describe('Concurrent jobs per pod.') })
          .prefault({})
          .describe('Sizing and placement of the job service (replication, GC, scans).'),
        registry: z
          .object({ ...workload, controllerResources: resources.optional().describe('Resources of the registryctl container.') })
          .prefault({})
          .describe('Sizing and placement of the registry pod (registry and registryctl containers).'),
        trivy: optionalComponent('the Trivy vulnerability scanner'),
        exporter: optionalComponent('the Prometheus exporter'),
      })
      .prefault({})
      .describe('Per-component replicas, resources and placement.'),
    database: DatabaseSpec,
    storage: StorageSpec,
    cache: CacheSpec,
    adminPasswordSecretRef: localSecretKeyRef
      .optional()
      .describe('Secret with the initial admin password. When left out, one is generated into <name>-harbor-admin.'),
    encryptionKeySecretRef: localSecretKeyRef
      .optional()
      .describe(
        'Secret with the 16-character key Harbor encrypts stored credentials with. Generated when left out. ' +
          'Immutable: a changed key makes every stored credential unreadable.',
      ),
    deletionPolicy: z
      .enum(deletionPolicies)
      .default('Retain')
      .describe('What happens to the database, bucket and their credentials when the Registry is deleted: Retain keeps them, Delete removes them.'),
    networkPolicies: z
      .object({ enabled: z.boolean().default(true).describe('Create NetworkPolicies that only let each component receive the traffic it needs.') })
      .prefault({}),
    logLevel: z.enum(logLevels).default('info').describe('Log level of all components.'),
    imageRepository: z
      .string()
      .min(1)
      .default('docker.io/goharbor')
      .describe('Where Harbor images are pulled from (harbor-core, harbor-portal, ... are appended).'),
    imagePullSecrets: z.array(z.object({ name: objectName })).optional().describe('Pull secrets for the Harbor images.'),
  })
  .describe('A managed Harbor registry for one customer.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'has(self.encryptionKeySecretRef) == has(oldSelf.encryptionKeySecretRef) && (!has(self.encryptionKeySecretRef) || self.encryptionKeySecretRef == oldSelf.encryptionKeySecretRef)',
        message: 'encryptionKeySecretRef is immutable: Harbor encrypted stored credentials with that key; it cannot be added, removed or changed after creation',
      },
    ],
  });

export const RegistryStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions,
  version: z.string().optional().describe('Harbor release currently running (after the last successful migration).'),
  externalURL: z.string().optional(),
  database: z.object({ name: z.string(), secretName: z.string() }).optional().describe('Tenant database and the Secret with its credentials.'),
  storage: z.object({ bucket: z.string(), secretName: z.string() }).optional().describe('Tenant bucket and the Secret with its credentials.'),
});

export type RegistrySpec = z.infer<typeof RegistrySpec>;
export type RegistrySpecInput = z.input<typeof RegistrySpec>;
export type RegistryStatus = z.infer<typeof RegistryStatus>;

export const Registry = defineCustomKind({
  group,
  kind: 'Registry',
  plural: 'registries',
  scope: 'Namespaced',
  shortNames: ['hr'],
  categories: ['tugboat'],
  description: 'A managed Harbor registry for one customer, on shared PostgreSQL and object storage.',
  printerColumns: [
    { name: 'Version', type: 'string', jsonPath: '.status.version' },
    { name: 'Host', type: 'string', jsonPath: '.spec.expose.ingress.host' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
  ],
  versions: [
    {
      name: version,
      spec: RegistrySpec,
      status: RegistryStatus,
      rules: [
        {
          // Service names are derived from it, and Services need DNS-1035 labels.
          rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
          message: 'metadata.name must start with a letter and contain only lowercase letters, digits and "-" (component Service names are derived from it)',
          reason: 'FieldValueInvalid',
        },
      ],
    },
  ],
});
export type Registry = ObjectOf<typeof Registry>;
