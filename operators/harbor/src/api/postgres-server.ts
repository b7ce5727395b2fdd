// PostgresServer: a shared PostgreSQL server that tenants' databases are created on. Cluster
// scoped, because it is infrastructure the platform team registers once and many namespaces use;
// its admin credentials live in a Secret in a namespace of the platform team's choosing.
import { defineCustomKind } from '@tugboat/runtime/crd';
import type { ObjectOf } from '@tugboat/runtime/object';
import { z } from 'zod';
import { clusterObjectRef, conditions, hostName, objectName, secretKey } from './common.js';
import { group, version } from './group.js';

export const sslModes = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

export const PostgresServerSpec = z
  .object({
    host: hostName.describe('Host name clients (the operator and the tenants\' Harbor pods) connect to.'),
    port: z.number().int().min(1).max(65535).default(5432).describe('TCP port.'),
    sslMode: z
      .enum(sslModes)
      .default('require')
      .describe('libpq sslmode for connections to this server (disable, require, verify-ca, verify-full).'),
    adminCredentials: z
      .object({
        secretRef: z
          .object({
            name: objectName.describe('Name of the Secret.'),
            namespace: objectName.max(63).describe('Namespace of the Secret.'),
          })
          .describe('The Secret holding an admin login (a role with CREATEROLE and CREATEDB).'),
        usernameKey: secretKey.default('username').describe('Key of the user name in the Secret.'),
        passwordKey: secretKey.default('password').describe('Key of the password in the Secret.'),
      })
      .describe('Credentials the operator uses to create and drop tenant roles and databases.'),
    maintenanceDatabase: z
      .string()
      .min(1)
      .max(63)
      .default('postgres')
      .describe('Database the operator connects to for CREATE/DROP DATABASE.'),
    tenantConnectionLimit: z
      .number()
      .int()
      .min(-1)
      .default(200)
      .describe('CONNECTION LIMIT given to each tenant role (-1 means none), so one tenant cannot exhaust the shared server.'),
  })
  .describe('A shared PostgreSQL server Harbor tenants get a database on.');

export const PostgresServerStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions,
  serverVersion: z.string().optional().describe('server_version reported by the last successful probe.'),
  tenants: z.number().int().optional().describe('Number of Registries using this server.'),
});

export const PostgresServerRef = clusterObjectRef.describe('A PostgresServer by name.');

export type PostgresServerSpec = z.infer<typeof PostgresServerSpec>;
export type PostgresServerSpecInput = z.input<typeof PostgresServerSpec>;
export type PostgresServerStatus = z.infer<typeof PostgresServerStatus>;

export const PostgresServer = defineCustomKind({
  group,
  kind: 'PostgresServer',
  plural: 'postgresservers',
  scope: 'Cluster',
  shortNames: ['pgserver'],
  categories: ['tugboat'],
  description: 'A shared PostgreSQL server Harbor tenants get a database and a login role on.',
  printerColumns: [
    { name: 'Host', type: 'string', jsonPath: '.spec.host' },
    { name: 'Port', type: 'integer', jsonPath: '.spec.port' },
    { name: 'Tenants', type: 'integer', jsonPath: '.status.tenants' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  ],
  versions: [{ name: version, spec: PostgresServerSpec, status: PostgresServerStatus }],
});
export type PostgresServer = ObjectOf<typeof PostgresServer>;
