// HTTPS listeners with tls.issuer against a real control plane with cert-manager's Certificate
// CRD installed (testenv). cert-manager itself cannot run here (no containers), so nothing
// issues: the test shows the Certificate the operator requests, the LB waiting for its Secret,
// and, once a Secret of that name appears, the LB serving it. Without the CRD, the LB says
// cert-manager is missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigMap, Deployment, Secret, createClient, isNotFound, type Client } from '@tugboat/runtime';
import { createCA, installCertManagerCrds, startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { IPPool } from '../src/api/ippool.js';
import { LoadBalancer } from '../src/api/loadbalancer.js';
import { CertManagerCertificate } from '../src/controllers/certificates.js';
import { installCrds, loadBalancerCrds } from '../src/controllers/crds.js';
import { startOperator, type Operator } from '../src/controllers/operator.js';
import { certificatePath } from '../src/controllers/workload.js';
import { condition, ensureNamespace, eventually, lbObject, poolObject } from './controllers-support.js';

const ns = 'store';
const system = 'tugboat-system';

function httpsLb(name: string, hostnames: string[]): LoadBalancer {
  return lbObject(ns, name, 'public', {
    listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', defaultPool: 'web', tls: { issuer: { name: 'letsencrypt', kind: 'ClusterIssuer', hostnames } } }],
  });
}

async function getLb(client: Client, name: string): Promise<LoadBalancer> {
  return client.get(LoadBalancer, { namespace: ns, name });
}

describe('LoadBalancer TLS through cert-manager on a real control plane', () => {
  let cp: ControlPlane;
  let client: Client;
  let op: Operator;

  before(async () => {
    cp = await startControlPlane({ controllers: true, nodes: 1 });
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await installCrds(client, loadBalancerCrds());
    await ensureNamespace(client, system);
    await ensureNamespace(client, ns);
    await client.create(IPPool, poolObject('public', ['192.0.2.0/24']));
    op = await startOperator({ client, namespace: system, leaderElection: false, concurrency: 4 });
  });

  after(async () => {
    await op?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('reports CertManagerMissing (Degraded) when the Certificate CRD is not installed, and recovers once it is', async () => {
    await client.create(LoadBalancer, httpsLb('early', ['early.example.com']));
    const lb = await eventually('early Degraded', async () => {
      const o = await getLb(client, 'early');
      return condition(o, 'Degraded')?.status === 'True' ? o : undefined;
    });
    assert.equal(condition(lb, 'Ready')?.status, 'False');
    assert.equal(condition(lb, 'Ready')?.reason, 'CertManagerMissing');
    assert.equal(condition(lb, 'Degraded')?.reason, 'CertManagerMissing');
    assert.match(condition(lb, 'Degraded')?.message ?? '', /cert-manager is not installed.*Certificate early-https-tls.*install cert-manager, or use tls\.certificates/);
    assert.ok(lb.status?.address, 'the address is allocated regardless');
    await assert.rejects(client.get(Deployment, { namespace: ns, name: 'early-haproxy' }), (e: unknown) => isNotFound(e));

    await installCertManagerCrds(cp);
    // The LB would be looked at again within a minute; wake it now.
    op.controllers.loadBalancer.enqueue({ namespace: ns, name: 'early' });
    await eventually('early waits for its Secret', async () => {
      const o = await getLb(client, 'early');
      return condition(o, 'Ready')?.reason === 'CertificatePending' && condition(o, 'Degraded')?.status === 'False' ? o : undefined;
    });
    const cert = await client.get(CertManagerCertificate, { namespace: ns, name: 'early-https-tls' });
    assert.deepEqual(cert.spec.dnsNames, ['early.example.com']);
  });

  it('requests a Certificate owned by the LB, waits for its Secret, then serves it', async () => {
    await client.create(LoadBalancer, httpsLb('shop', ['shop.example.com', 'www.shop.example.com']));
    const cert = await eventually('the Certificate', async () => {
      try {
        return await client.get(CertManagerCertificate, { namespace: ns, name: 'shop-https-tls' });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
    const lb = await getLb(client, 'shop');
    assert.equal(cert.spec.secretName, 'shop-https-tls');
    assert.deepEqual(cert.spec.issuerRef, { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    assert.deepEqual(cert.spec.dnsNames, ['shop.example.com', 'www.shop.example.com']);
    assert.deepEqual(
      cert.metadata.ownerReferences?.map((r) => [r.apiVersion, r.kind, r.name, r.uid, r.controller]),
      [['lb.tugboat.dev/v1alpha1', 'LoadBalancer', 'shop', lb.metadata.uid, true]],
    );

    const pending = await eventually('shop CertificatePending', async () => {
      const o = await getLb(client, 'shop');
      return condition(o, 'Ready')?.reason === 'CertificatePending' ? o : undefined;
    });
    assert.equal(condition(pending, 'Ready')?.status, 'False');
    assert.match(condition(pending, 'Ready')?.message ?? '', /Certificate "shop-https-tls" \(ClusterIssuer "letsencrypt", shop\.example\.com, www\.shop\.example\.com\) into Secret "shop-https-tls"/);
    assert.equal(condition(pending, 'Degraded')?.status, 'False');
    // No pods that would mount a Secret that does not exist.
    await assert.rejects(client.get(Deployment, { namespace: ns, name: 'shop-haproxy' }), (e: unknown) => isNotFound(e));

    // This Secret stands in for cert-manager's issuing, which cannot run here: a real certificate
    // for the requested names, under the requested name, with the labels cert-manager copies from
    // the Certificate's secretTemplate.
    const ca = await createCA('test-issuer');
    const issued = await ca.issue({ commonName: 'shop.example.com', dnsNames: cert.spec.dnsNames, server: true });
    await client.create(Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { namespace: ns, name: cert.spec.secretName, labels: cert.spec.secretTemplate?.labels ?? {} },
      stringData: { 'tls.crt': issued.cert, 'tls.key': issued.key, 'ca.crt': ca.cert },
    });

    const ready = await eventually('shop Ready', async () => {
      const o = await getLb(client, 'shop');
      return condition(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 90_000);
    assert.equal(condition(ready, 'Degraded')?.status, 'False');
    const cm = await client.get(ConfigMap, { namespace: ns, name: 'shop-haproxy' });
    const cfg = cm.data?.['haproxy.cfg'] ?? '';
    const crtList = /ssl crt-list (\S+)/.exec(cfg)?.[1];
    assert.ok(crtList, `haproxy.cfg binds 443 with a crt-list:\n${cfg}`);
    assert.equal(cm.data?.[crtList.replace(/^.*\//, '')], `${certificatePath('shop-https-tls')} shop.example.com www.shop.example.com\n`);
    const dep = await client.get(Deployment, { namespace: ns, name: 'shop-haproxy' });
    assert.ok(dep.spec?.template.spec?.volumes?.some((v) => v.secret?.secretName === 'shop-https-tls'), 'the pods mount the issued Secret');
  });
});
