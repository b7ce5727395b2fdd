// What an agent may do, per namespace that has load balancers: read ConfigMaps (its LB's
// configuration) and patch pods (its own report). One ServiceAccount, Role and RoleBinding per
// namespace rather than per LB: at 100k LBs, three more objects each would be 300k objects for
// the apiserver to store and the operator to watch. Created once if absent and never owned by
// an LB (the last LB's deletion would take them from the others); a process remembers the
// namespaces it has handled, so a steady-state reconcile sends nothing.
import { isAlreadyExists, Role, RoleBinding, ServiceAccount, type Client, type KubeObject, type Kind } from '@tugboat/runtime';

export const agentServiceAccount = 'tugboat-lb-agent';

const labels = { 'app.kubernetes.io/name': 'tugboat-lb-agent', 'app.kubernetes.io/part-of': 'tugboat', 'app.kubernetes.io/managed-by': 'tugboat' };

export interface AgentAccess {
  ensure(namespace: string): Promise<void>;
}

export function agentAccess(client: Client, fieldManager: string): AgentAccess {
  const done = new Set<string>();
  const create = async <T extends KubeObject>(kind: Kind<T>, obj: T) => {
    try {
      await client.create(kind, obj, { fieldManager });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  };
  return {
    async ensure(namespace) {
      if (done.has(namespace)) return;
      const metadata = { name: agentServiceAccount, namespace, labels };
      await create(ServiceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata });
      await create(Role, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata,
        rules: [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
        ],
      });
      await create(RoleBinding, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: agentServiceAccount },
        subjects: [{ kind: 'ServiceAccount', name: agentServiceAccount, namespace }],
      });
      done.add(namespace);
    },
  };
}
