import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reviewConversion } from '../src/conversion.js';
import type { KubeObject } from '../src/object.js';
import { widgetConversion } from './fixtures/widget-conversion.js';

const metadata = { name: 'w', namespace: 'default', uid: 'abc', resourceVersion: '7', generation: 2, labels: { team: 'a' } };
const beta = {
  apiVersion: 'example.tugboat.dev/v1beta1',
  kind: 'Widget',
  metadata,
  spec: { size: 'medium', replicas: 2, ports: [{ name: 'http', port: 80 }, { name: 'admin', port: 9000 }], tags: ['x'] },
  status: { replicas: 2 },
};

describe('conversion through the hub', () => {
  it('converts down and keeps what the spoke cannot hold in an annotation', () => {
    const alpha = widgetConversion.convert(beta, 'example.tugboat.dev/v1alpha1') as KubeObject & { spec: unknown; status: unknown };
    assert.equal(alpha.apiVersion, 'example.tugboat.dev/v1alpha1');
    assert.deepEqual(alpha.spec, { size: 'medium', replicas: 2, port: 80 });
    assert.deepEqual(alpha.status, { replicas: 2 });
    assert.deepEqual(alpha.metadata.labels, { team: 'a' });
    assert.equal(alpha.metadata.uid, 'abc');
    assert.ok(alpha.metadata.annotations?.['example.tugboat.dev/v1beta1-spec']);
  });

  it('round-trips v1beta1 → v1alpha1 → v1beta1 without loss', () => {
    const back = widgetConversion.convert(widgetConversion.convert(beta, 'example.tugboat.dev/v1alpha1'), 'example.tugboat.dev/v1beta1');
    assert.deepEqual(back, beta);
  });

  it('takes changes made at the old version into the new one', () => {
    const alpha = widgetConversion.convert(beta, 'example.tugboat.dev/v1alpha1') as KubeObject & { spec: { port: number } };
    alpha.spec.port = 8080;
    const back = widgetConversion.convert(alpha, 'example.tugboat.dev/v1beta1') as typeof beta;
    assert.deepEqual(back.spec.ports, [{ name: 'http', port: 8080 }, { name: 'admin', port: 9000 }]);
  });

  it('converts a v1alpha1 object that never was v1beta1', () => {
    const alpha = { apiVersion: 'example.tugboat.dev/v1alpha1', kind: 'Widget', metadata: { name: 'x' }, spec: { size: 'small', replicas: 1, port: 443 } };
    const up = widgetConversion.convert(alpha, 'example.tugboat.dev/v1beta1') as typeof beta;
    assert.deepEqual(up.spec, { size: 'small', replicas: 1, ports: [{ name: 'main', port: 443 }] });
    assert.deepEqual(up.metadata, { name: 'x' });
  });

  it('never changes metadata other than labels and annotations', () => {
    const alpha = widgetConversion.convert(beta, 'example.tugboat.dev/v1alpha1');
    const { annotations: _a, ...rest } = alpha.metadata;
    assert.deepEqual(rest, metadata);
  });
});

describe('ConversionReview', () => {
  it('answers with converted objects and the request uid', () => {
    const out = reviewConversion(
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid: 'r1', desiredAPIVersion: 'example.tugboat.dev/v1alpha1', objects: [beta] } },
      widgetConversion,
    );
    assert.equal(out.response?.uid, 'r1');
    assert.deepEqual(out.response?.result, { status: 'Success' });
    assert.equal(out.response?.convertedObjects[0]?.apiVersion, 'example.tugboat.dev/v1alpha1');
  });

  it('fails the whole review, naming the object, when one object cannot convert', () => {
    const out = reviewConversion(
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'ConversionReview',
        request: { uid: 'r2', desiredAPIVersion: 'example.tugboat.dev/v9', objects: [beta] },
      },
      widgetConversion,
    );
    assert.equal(out.response?.result.status, 'Failure');
    assert.match(out.response?.result.message ?? '', /default\/w to example\.tugboat\.dev\/v9: .*known versions/);
    assert.deepEqual(out.response?.convertedObjects, []);
  });
});
