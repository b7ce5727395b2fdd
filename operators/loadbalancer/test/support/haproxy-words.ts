// HAProxy 2.6's configuration tokenizer, written from configuration.txt §2.2 independently of
// the renderer's quoting, so tests can check that a rendered word reads back as the value.
// Returns undefined for a line HAProxy would not read as intended (unterminated quote).

export function haproxyWords(line: string): string[] | undefined {
  const words: string[] = [];
  let cur: string | undefined;
  let i = 0;
  const push = (c: string) => (cur = (cur ?? '') + c);
  const escape = (next: string | undefined): string | undefined => {
    if (next === undefined) return undefined;
    if (next === 'n') return '\n';
    if (next === 'r') return '\r';
    if (next === 't') return '\t';
    return next;
  };
  while (i < line.length) {
    const c = line[i] ?? '';
    if (c === ' ' || c === '\t') {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '\\') {
      if (line[i + 1] === 'x') {
        push(String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16)));
        i += 4;
      } else {
        const e = escape(line[i + 1]);
        if (e === undefined) return undefined;
        push(e);
        i += 2;
      }
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      push(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      i++;
      cur = cur ?? '';
      for (;;) {
        const d = line[i];
        if (d === undefined) return undefined;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '$') return undefined; // an environment variable would be expanded
        if (d === '\\') {
          if (line[i + 1] === 'x') {
            push(String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16)));
            i += 4;
            continue;
          }
          const e = escape(line[i + 1]);
          if (e === undefined) return undefined;
          push(e);
          i += 2;
          continue;
        }
        push(d);
        i++;
      }
    } else {
      push(c);
      i++;
    }
  }
  if (cur !== undefined) words.push(cur);
  return words;
}
