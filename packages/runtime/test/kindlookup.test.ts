import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { microTime } from '../src/events.js';
import { createKindLookup } from '../src/kindlookup.js';
import { ConfigMap, Deployment } from '../src/kinds.js';
import { defineKind } from '../src/object.js';

const Widget = defineKind({ group: 'example.tugboat.dev', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true });

describe('kind lookup', () => {
  it('finds built-in and declared kinds from apiVersion and kind', () => {
    const l = createKindLookup([Widget]);
    assert.equal(l.forObject({ apiVersion: 'v1', kind: 'ConfigMap' }), ConfigMap);
    assert.equal(l.forObject({ apiVersion: 'apps/v1', kind: 'Deployment' }), Deployment);
    assert.equal(l.forObject({ apiVersion: 'example.tugboat.dev/v1', kind: 'Widget' }), Widget);
  });

  it('serves another version of a known group and kind at that version', () => {
    const k = createKindLookup([Widget]).forObject({ apiVersion: 'example.tugboat.dev/v2', kind: 'Widget' });
    assert.equal(k.version, 'v2');
    assert.equal(k.plural, 'widgets');
  });

  it('says how to fix an unknown kind', () => {
    assert.throws(() => createKindLookup([]).forObject({ apiVersion: 'x.dev/v1', kind: 'Thing' }), /declare it with \.owns\(Thing\)/);
  });
});

describe('event times', () => {
  it('formats MicroTime with six fractional digits', () => {
    assert.equal(microTime(new Date('2026-03-04T05:06:07.891Z')), '2026-03-04T05:06:07.891000Z');
  });
});
