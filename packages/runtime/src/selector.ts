// Label selectors in the apiserver's string syntax, evaluated in memory. The cache needs this
// to answer `list(kind, { labelSelector })` from an informer that watches a wider set of
// objects, with the same answer the apiserver would give.

export type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type LabelSelector = Requirement[];

const setOp = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Parses `a=b,c!=d,e in (x,y),!f,g` into requirements; throws on syntax the apiserver rejects. */
export function parseLabelSelector(selector: string): LabelSelector {
  return splitTopLevel(selector).map((part): Requirement => {
    const set = setOp.exec(part);
    if (set) {
      const values = (set[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: set[1] ?? '', op: set[2] === 'in' ? 'in' : 'notin', values };
    }
    if (part.startsWith('!')) return { key: part.slice(1).trim(), op: 'notexists' };
    const m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(part);
    if (m) {
      const [, key = '', op, value = ''] = m;
      if (op === '>' || op === '<') {
        const n = Number(value);
        if (value === '' || !Number.isInteger(n)) throw new SyntaxError(`label selector: ${part}: expected an integer`);
        return { key, op: op === '>' ? 'gt' : 'lt', value: n };
      }
      return { key, op: op === '!=' ? 'notin' : 'in', values: [value] };
    }
    if (/^[^=!<>\s()]+$/.test(part)) return { key: part, op: 'exists' };
    throw new SyntaxError(`label selector: cannot parse "${part}"`);
  });
}

/** Whether `labels` satisfy every requirement (an empty selector matches everything). */
export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v ?? '')) return false;
        const n = Number(v);
        return r.op === 'gt' ? n > r.value : n < r.value;
      }
    }
  });
}

/**
 * Whether every object `inner` selects is also selected by `outer`, judged syntactically:
 * true when outer's requirements are a subset of inner's. The cache uses it to serve a
 * narrower query from a wider informer; false negatives only cost an extra informer.
 */
export function selectorCovers(outer: string | undefined, inner: string | undefined): boolean {
  if (outer === undefined || outer.trim() === '') return true;
  if (inner === undefined || inner.trim() === '') return false;
  const norm = (s: string) => new Set(splitTopLevel(s).map((p) => p.replace(/\s+/g, ' ')));
  const innerSet = norm(inner);
  return [...norm(outer)].every((p) => innerSet.has(p));
}
