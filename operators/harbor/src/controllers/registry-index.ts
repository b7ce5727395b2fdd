// Which Registries use a given PostgresServer or ObjectStore, answered from the Registry
// informer's store through two indexes. The shared-service kinds are cluster scoped and send
// their events without any owner link to the Registries, so this is how a change to a server
// (or its status) reaches the tenants on it, and how a server counts its tenants.
import type { Cache, Informer, ObjectKey } from '@tugboat/runtime';
import { Registry } from '../api/registry.js';

export const byPostgresServer = 'registry.tugboat.dev/postgres-server';
export const byObjectStore = 'registry.tugboat.dev/object-store';
export const byExternalCache = 'registry.tugboat.dev/external-cache';

/** The key of an External cache endpoint: one Redis server, however the host is capitalised. */
export function cacheEndpoint(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

export interface RegistryIndex {
  informer: Informer<Registry>;
  usingPostgresServer(name: string): ObjectKey[];
  usingObjectStore(name: string): ObjectKey[];
  /** Registries whose External cache is this Redis server. */
  usingExternalCache(host: string, port: number): Registry[];
}

function keys(rs: Registry[]): ObjectKey[] {
  return rs.map((r) => ({ namespace: r.metadata.namespace, name: r.metadata.name ?? '' }));
}

/** Shares the cache's Registry informer (the registry controller's primary one). */
export function registryIndex(cache: Cache): RegistryIndex {
  const informer = cache.informerFor(Registry);
  if (!informer.store.hasIndex(byPostgresServer)) {
    informer.store.addIndex(byPostgresServer, (r) => {
      const n = r.spec?.database?.serverRef?.name;
      return n ? [n] : [];
    });
  }
  if (!informer.store.hasIndex(byObjectStore)) {
    informer.store.addIndex(byObjectStore, (r) => {
      const n = r.spec?.storage?.objectStoreRef?.name;
      return n ? [n] : [];
    });
  }
  if (!informer.store.hasIndex(byExternalCache)) {
    informer.store.addIndex(byExternalCache, (r) => {
      const ext = r.spec?.cache?.mode === 'External' ? r.spec.cache.external : undefined;
      return ext?.host && ext.port ? [cacheEndpoint(ext.host, ext.port)] : [];
    });
  }
  return {
    informer,
    usingExternalCache: (host, port) => informer.store.byIndex(byExternalCache, cacheEndpoint(host, port)),
    usingPostgresServer: (name) => keys(informer.store.byIndex(byPostgresServer, name)),
    usingObjectStore: (name) => keys(informer.store.byIndex(byObjectStore, name)),
  };
}
