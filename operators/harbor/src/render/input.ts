// Everything the renderers need, resolved: the Registry, the credentials provisioned for it on
// the shared services, and its generated secrets. The controller gathers these (reading Secrets,
// provisioning, generating once); the renderers only transform them, so they stay pure.
import type { RegistrySpec } from '../api/registry.js';
import type { HarborSecrets } from './secrets.js';

export interface TenantDatabase {
  host: string;
  port: number;
  sslMode: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  database: string;
  username: string;
  password: string;
}

export interface TenantStorage {
  /** S3 endpoint URL as the registry pods reach it. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  forcePathStyle: boolean;
  skipTLSVerify: boolean;
}

export interface RenderInput {
  registry: { name: string; namespace: string; spec: RegistrySpec };
  database: TenantDatabase;
  storage: TenantStorage;
  secrets: HarborSecrets;
  /**
   * A digest of Secrets the user owns and pods read (spec.adminPasswordSecretRef, the external
   * cache password): the renderers never see those values, but a change must still roll pods.
   */
  userSecretsDigest?: string;
}
