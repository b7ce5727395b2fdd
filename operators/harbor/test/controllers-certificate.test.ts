// A Registry that asks cert-manager for its Ingress certificate, on a control plane where
// cert-manager's Certificate CRD is installed (testenv). cert-manager itself cannot run here, so
// nothing is issued: the test checks the request the operator makes and that the Ingress
// serves the Secret that request names. (Without the CRD: controllers-registry.test.ts,
// CertificateNotRequested.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ingress, isNotFound } from '@tugboat/runtime';
import { installCertManagerCrds } from '@tugboat/testenv';
import { Certificate } from '../src/controllers/certificate-kind.js';
import { registryNames } from '../src/render/names.js';
import { condition, eventually, registerSharedServices, startHarborEnv, type HarborEnv } from './controllers-env.js';

describe('Registry with a cert-manager issuer, Certificate CRD installed', { timeout: 600_000 }, () => {
  let env: HarborEnv;

  before(async () => {
    env = await startHarborEnv();
    await installCertManagerCrds(env.cp);
    await env.startOperator();
    await registerSharedServices(env);
    await env.tenantNamespace('wayne');
    await env.createRegistry('wayne', 'harbor', {
      expose: { ingress: { host: 'registry.wayne.example', tls: { certManager: { issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } } } } },
    });
  });

  after(async () => {
    await env?.stop();
  });

  it('requests a Certificate for the host, owned by the Registry, and the Ingress serves its Secret', async () => {
    const n = registryNames('harbor');
    const cert = await eventually('the Certificate', async () => {
      try {
        return await env.client.get(Certificate, { namespace: 'wayne', name: n.tls });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
    const reg = await env.getRegistry('wayne', 'harbor');
    assert.equal(cert.spec.secretName, n.tls);
    assert.deepEqual(cert.spec.issuerRef, { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    assert.deepEqual(cert.spec.dnsNames, ['registry.wayne.example']);
    assert.deepEqual(
      cert.metadata.ownerReferences?.map((r) => [r.apiVersion, r.kind, r.name, r.uid, r.controller]),
      [['registry.tugboat.dev/v1alpha1', 'Registry', 'harbor', reg.metadata.uid, true]],
    );

    const ing = await eventually('the Ingress', async () => {
      try {
        return await env.client.get(Ingress, { namespace: 'wayne', name: n.ingress });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
    assert.deepEqual(ing.spec?.tls, [{ hosts: ['registry.wayne.example'], secretName: cert.spec.secretName }]);

    // With the kind there, nothing is reported missing.
    const r = await env.waitForCondition('wayne', 'harbor', 'ComponentsReady', 'True');
    assert.equal(condition(r, 'Degraded')?.status, 'False');
    assert.equal(r.status?.externalURL, 'https://registry.wayne.example');
  });
});
