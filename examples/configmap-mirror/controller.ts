// The controller: read, render, apply, report. Everything else (caching, queueing, retries,
// skipping unchanged writes, metrics) is the runtime's job.
import { ConfigMap, controller, generationChanged, keyOf, setCondition, type Manager } from '@tugboat/runtime';
import { ConfigMirror } from './api.js';

/** Pure: the copies a mirror asks for, given its source. */
export function renderCopies(mirror: ConfigMirror, source: ConfigMap): ConfigMap[] {
  return mirror.spec.copies.map((name) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: mirror.metadata.namespace, labels: { 'app.kubernetes.io/managed-by': 'tugboat', 'example.tugboat.dev/mirror': mirror.metadata.name ?? '' } },
    data: source.data ?? {},
  }));
}

export function configMirrorController(mgr: Manager) {
  // Which mirrors copy a given ConfigMap: an index on the shared cache, so a change to a
  // source wakes exactly the mirrors that read it.
  const mirrors = mgr.cache.informerFor(ConfigMirror);
  mirrors.store.addIndex('source', (m) => [`${m.metadata.namespace}/${m.spec.source}`]);

  return controller('configmirror')
    .for(ConfigMirror, { predicates: [generationChanged()] }) // our own status writes do not re-trigger
    .owns(ConfigMap)
    .watches(ConfigMap, (cm) => mirrors.store.byIndex('source', keyOf(cm)).map((m) => ({ namespace: m.metadata.namespace, name: m.metadata.name ?? '' })))
    .reconcile(async (req, ctx) => {
      const mirror = await ctx.get(ConfigMirror, req);
      if (!mirror) return; // deleted: the copies go with it (ownerReferences)
      const generation = mirror.metadata.generation;
      const source = await ctx.get(ConfigMap, { namespace: req.namespace, name: mirror.spec.source });
      if (!source) {
        ctx.recorder.warning(mirror, 'SourceNotFound', `ConfigMap ${mirror.spec.source} does not exist; create it or fix spec.source.`, 'Copy');
        await ctx.applyStatus(mirror, {
          observedGeneration: generation,
          conditions: setCondition(mirror.status?.conditions, { type: 'Ready', status: 'False', reason: 'SourceNotFound', message: `ConfigMap ${mirror.spec.source} not found`, observedGeneration: generation }),
        });
        return; // the source's creation will wake us (watches)
      }
      const applied = await ctx.apply(renderCopies(mirror, source), { owner: mirror });
      const written = applied.filter((a) => a.changed).length;
      if (written > 0) ctx.recorder.normal(mirror, 'Copied', `updated ${written} of ${applied.length} copies`, 'Copy');
      await ctx.applyStatus(mirror, {
        observedGeneration: generation,
        conditions: setCondition(mirror.status?.conditions, { type: 'Ready', status: 'True', reason: 'Copied', message: `${applied.length} copies in sync`, observedGeneration: generation }),
      });
    });
}
