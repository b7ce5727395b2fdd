// Small builders for container environment entries.
import type { EnvVar } from '@tugboat/runtime/kinds';

export function fromSecret(name: string, secret: string, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

export function literal(name: string, value: string): EnvVar {
  return { name, value };
}

/** A ConfigMap's env map as EnvVar entries, in key order (a stable order keeps pod specs stable). */
export function envList(map: Record<string, string>): EnvVar[] {
  return Object.keys(map)
    .sort()
    .map((k) => literal(k, map[k] as string));
}
