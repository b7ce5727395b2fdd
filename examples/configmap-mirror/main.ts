// Run it: KUBECONFIG=... npx tsx examples/configmap-mirror/main.ts
import { CustomResourceDefinition, Manager } from '@tugboat/runtime';
import { ConfigMirror } from './api.js';
import { configMirrorController } from './controller.js';

const mgr = await Manager.create({
  leaderElection: { id: 'configmirror', namespace: process.env.POD_NAMESPACE ?? 'default' },
  metricsPort: 8080,
  healthPort: 8081,
});
// For the example only; a real operator ships the CRD (`npx tugboat generate crds`).
await mgr.client.apply(CustomResourceDefinition, { ...ConfigMirror.crd(), metadata: { name: ConfigMirror.crdName } }, { fieldManager: 'configmirror', force: true });
mgr.add(configMirrorController(mgr));
await mgr.start(); // until SIGTERM: in-flight reconciles finish, the lease is released
