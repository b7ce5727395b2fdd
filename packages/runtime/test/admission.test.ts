import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowed, denied, reviewMutating, reviewValidating, type AdmissionRequest } from '../src/admission.js';
import { applyJsonPatch, type JsonPatchOperation } from '../src/jsonpatch.js';
import type { KubeObject } from '../src/object.js';

interface Thing extends KubeObject {
  spec: { size?: string; replicas?: number };
}

function review(object: Thing, operation: AdmissionRequest['operation'] = 'CREATE') {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: 'example.tugboat.dev', version: 'v1', kind: 'Thing' },
      resource: { group: 'example.tugboat.dev', version: 'v1', resource: 'things' },
      name: object.metadata.name,
      namespace: 'default',
      operation,
      userInfo: { username: 'alice' },
      object,
    },
  };
}

const thing: Thing = { apiVersion: 'example.tugboat.dev/v1', kind: 'Thing', metadata: { name: 't', namespace: 'default' }, spec: { size: 'huge' } };

describe('validating admission', () => {
  it('answers allowed with the request uid and warnings', async () => {
    const out = await reviewValidating<Thing>(review(thing), () => allowed(['size huge is deprecated']));
    assert.deepEqual(out, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true, warnings: ['size huge is deprecated'] } });
  });

  it('denies with a 403 message, or with a 422 listing field causes', async () => {
    const plain = await reviewValidating<Thing>(review(thing), () => denied('things may not be huge'));
    assert.deepEqual(plain.response, { uid: 'u-1', allowed: false, status: { status: 'Failure', code: 403, reason: 'Forbidden', message: 'things may not be huge' } });
    const withCauses = await reviewValidating<Thing>(review(thing), (req) =>
      req.object?.spec.size === 'huge' ? denied('invalid size', [{ field: 'spec.size', message: 'must be small or large' }]) : allowed(),
    );
    assert.deepEqual(withCauses.response?.status, {
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: 'invalid size: spec.size: must be small or large',
      details: { kind: 'Thing', name: 't', causes: [{ field: 'spec.size', message: 'must be small or large', reason: 'FieldValueInvalid' }] },
    });
  });

  it('denies with a 500 when the handler throws, so a bug never admits', async () => {
    const out = await reviewValidating<Thing>(review(thing), () => {
      throw new Error('boom');
    });
    assert.equal(out.response?.allowed, false);
    assert.equal(out.response?.status?.code, 500);
    assert.match(out.response?.status?.message ?? '', /boom/);
  });

  it('rejects something that is not an AdmissionReview', async () => {
    await assert.rejects(reviewValidating({ kind: 'Other' }, () => allowed()), TypeError);
  });
});

describe('mutating admission', () => {
  function patchOf(out: Awaited<ReturnType<typeof reviewMutating>>): JsonPatchOperation[] {
    assert.equal(out.response?.patchType, 'JSONPatch');
    return JSON.parse(Buffer.from(out.response?.patch ?? '', 'base64').toString()) as JsonPatchOperation[];
  }

  it('computes the patch from the edits a handler makes to its copy', async () => {
    const input = structuredClone(thing);
    const out = await reviewMutating<Thing>(review(input), (obj) => {
      obj.spec.replicas ??= 3;
      obj.metadata.labels = { ...obj.metadata.labels, 'example.tugboat.dev/defaulted': 'true' };
    });
    const ops = patchOf(out);
    assert.deepEqual(ops, [
      { op: 'add', path: '/metadata/labels', value: { 'example.tugboat.dev/defaulted': 'true' } },
      { op: 'add', path: '/spec/replicas', value: 3 },
    ]);
    assert.deepEqual(input, thing, 'the request object is not modified');
    assert.deepEqual(applyJsonPatch(thing, ops).spec, { size: 'huge', replicas: 3 });
  });

  it('accepts a returned object, sends no patch when nothing changed, and can deny', async () => {
    const replaced = await reviewMutating<Thing>(review(thing), (obj) => ({ ...obj, spec: { size: 'small' } }));
    assert.deepEqual(patchOf(replaced), [{ op: 'replace', path: '/spec/size', value: 'small' }]);
    const same = await reviewMutating<Thing>(review(thing), () => undefined);
    assert.deepEqual(same.response, { uid: 'u-1', allowed: true });
    const no = await reviewMutating<Thing>(review(thing), () => denied('no'));
    assert.equal(no.response?.allowed, false);
  });
});
