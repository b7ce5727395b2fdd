// Key names inside the Secrets the operator writes, shared by the code that writes them and the
// pod specs that read them. Explicit, descriptive keys: the archived operator's generic `secret`
// key made users wire the wrong value (its issue #305).
import type { HarborSecrets } from './secrets.js';

/** Keys of the internal Secret, one per generated value (admin password and encryption key live apart). */
export const internalSecretKeys = {
  coreSecret: 'core-secret',
  jobserviceSecret: 'jobservice-secret',
  registryHttpSecret: 'registry-http-secret',
  registryPassword: 'registry-password',
  registryHtpasswd: 'registry-htpasswd',
  csrfKey: 'csrf-key',
  tokenKey: 'token.key',
  tokenCert: 'token.crt',
  redisPassword: 'redis-password',
} as const satisfies Partial<Record<keyof HarborSecrets, string>>;

export const adminPasswordKey = 'password';
export const encryptionKeyKey = 'secret-key';

export const databaseSecretKeys = {
  host: 'host',
  port: 'port',
  database: 'database',
  username: 'username',
  password: 'password',
  sslMode: 'sslmode',
} as const;

export const storageSecretKeys = {
  endpoint: 'endpoint',
  region: 'region',
  bucket: 'bucket',
  accessKey: 'accessKey',
  secretKey: 'secretKey',
} as const;
