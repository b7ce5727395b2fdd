import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesLabels, parseLabelSelector, selectorCovers } from '../src/selector.js';

const m = (sel: string, labels?: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);

describe('label selectors', () => {
  it('parses every operator of the apiserver syntax', () => {
    assert.deepEqual(parseLabelSelector('a=b, c==d,e!=f, g in (x, y),h notin (z),!i,j,k>3,l<10'), [
      { key: 'a', op: 'in', values: ['b'] },
      { key: 'c', op: 'in', values: ['d'] },
      { key: 'e', op: 'notin', values: ['f'] },
      { key: 'g', op: 'in', values: ['x', 'y'] },
      { key: 'h', op: 'notin', values: ['z'] },
      { key: 'i', op: 'notexists' },
      { key: 'j', op: 'exists' },
      { key: 'k', op: 'gt', value: 3 },
      { key: 'l', op: 'lt', value: 10 },
    ]);
    assert.deepEqual(parseLabelSelector(''), []);
    assert.deepEqual(parseLabelSelector('app.kubernetes.io/name=web'), [{ key: 'app.kubernetes.io/name', op: 'in', values: ['web'] }]);
  });

  it('rejects what it cannot parse', () => {
    assert.throws(() => parseLabelSelector('a in b'), SyntaxError);
    assert.throws(() => parseLabelSelector('k>x'), SyntaxError);
  });

  it('matches like the apiserver', () => {
    const labels = { app: 'web', tier: 'front', replicas: '5' };
    assert.equal(m('', labels), true);
    assert.equal(m('', undefined), true);
    assert.equal(m('app=web', labels), true);
    assert.equal(m('app=db', labels), false);
    assert.equal(m('app!=db', labels), true);
    assert.equal(m('missing!=x', labels), true, '!= matches objects without the label');
    assert.equal(m('tier in (front,back)', labels), true);
    assert.equal(m('tier notin (front)', labels), false);
    assert.equal(m('app,!debug', labels), true);
    assert.equal(m('debug', labels), false);
    assert.equal(m('replicas>4,replicas<6', labels), true);
    assert.equal(m('app>1', labels), false, 'non-numeric values never satisfy gt');
    assert.equal(m('app=web,tier=back', labels), false);
  });

  it('knows when a wider selector covers a narrower one', () => {
    assert.equal(selectorCovers(undefined, 'a=b'), true);
    assert.equal(selectorCovers('a=b', 'a=b,c=d'), true);
    assert.equal(selectorCovers('a=b,c=d', 'a=b'), false);
    assert.equal(selectorCovers('a=b', undefined), false);
    assert.equal(selectorCovers('x in (1, 2)', 'x in (1, 2),y'), true);
  });
});
