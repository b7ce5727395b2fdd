// Certificates for tls.issuer listeners, by value: what the controller asks cert-manager for,
// and the message a listener without host names gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBalancerSpecSchema, type LoadBalancer } from '../src/api/loadbalancer.js';
import { issuerHostnamesMessage, validateLoadBalancerSpec } from '../src/api/validate.js';
import { renderListenerCertificates } from '../src/controllers/certificates.js';

const pools = [{ name: 'web', members: [{ address: '10.1.0.1', port: 8080 }] }];

function lb(listeners: unknown[]): Pick<LoadBalancer, 'metadata' | 'spec'> {
  return { metadata: { namespace: 'shop', name: 'front' }, spec: loadBalancerSpecSchema.parse({ ipPool: 'public', listeners, pools }) };
}

describe('cert-manager Certificates for tls.issuer listeners', () => {
  it('asks for one Certificate per issuer listener, into the Secret the renderer mounts', () => {
    const certs = renderListenerCertificates(
      lb([
        { name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' },
        { name: 'https', port: 443, protocol: 'HTTPS', defaultPool: 'web', tls: { issuer: { name: 'letsencrypt', kind: 'ClusterIssuer', hostnames: ['shop.example.com', 'www.shop.example.com'] } } },
        { name: 'own', port: 8443, protocol: 'HTTPS', defaultPool: 'web', tls: { certificates: [{ secretRef: { name: 'mine' } }] } },
        { name: 'api', port: 9443, protocol: 'HTTPS', defaultPool: 'web', tls: { issuer: { name: 'local', hostnames: ['api.example.com'] } } },
      ]),
    );
    const labels = {
      'app.kubernetes.io/name': 'tugboat-loadbalancer',
      'app.kubernetes.io/instance': 'front',
      'app.kubernetes.io/component': 'certificate',
      'app.kubernetes.io/part-of': 'tugboat',
      'app.kubernetes.io/managed-by': 'tugboat',
      'lb.tugboat.dev/loadbalancer': 'front',
    };
    const privateKey = { rotationPolicy: 'Always', algorithm: 'ECDSA', size: 256 };
    assert.deepEqual(certs, [
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'front-https-tls', namespace: 'shop', labels },
        spec: {
          secretName: 'front-https-tls',
          dnsNames: ['shop.example.com', 'www.shop.example.com'],
          issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
          secretTemplate: { labels },
          privateKey,
        },
      },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'front-api-tls', namespace: 'shop', labels },
        spec: {
          secretName: 'front-api-tls',
          dnsNames: ['api.example.com'],
          issuerRef: { name: 'local', kind: 'Issuer', group: 'cert-manager.io' },
          secretTemplate: { labels },
          privateKey,
        },
      },
    ]);
  });

  it('asks for nothing when no listener names an issuer', () => {
    assert.deepEqual(renderListenerCertificates(lb([{ name: 'http', port: 80, protocol: 'HTTP', defaultPool: 'web' }])), []);
  });

  it('refuses an issuer listener without host names, naming the field', () => {
    for (const issuer of [{ name: 'letsencrypt' }, { name: 'letsencrypt', hostnames: [] }]) {
      const errors = validateLoadBalancerSpec({ ipPool: 'public', pools, listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', defaultPool: 'web', tls: { issuer } }] });
      assert.deepEqual(errors, [{ path: 'spec.listeners[0].tls.issuer.hostnames', message: issuerHostnamesMessage }], JSON.stringify(issuer));
    }
  });
});
