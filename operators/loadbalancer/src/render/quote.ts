// Turning strings into haproxy.cfg words. HAProxy's parser (configuration.txt §2.2, 2.6) cuts
// lines into words on spaces and tabs, starts a comment at an unquoted '#', expands "$VAR"
// inside double quotes, and interprets '\' escapes. Some arguments are then parsed a second
// time as log-format strings, where '%' starts a sample expression ("%[src]").
//
// Policy: a value the API constrains to a safe charset is emitted bare after re-checking it
// (`word`); free text is emitted inside double quotes with '\', '"' and '$' escaped (`quoted`),
// and '%' doubled where the argument is a log-format string (`quotedLogFormat`). Control and
// non-ASCII characters are refused, never escaped: no legitimate value has them, and refusing
// is the only choice that cannot be got wrong.

export class RenderError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`cannot render haproxy.cfg:\n  ${problems.join('\n  ')}`);
    this.name = 'RenderError';
    this.problems = problems;
  }
}

const printableAscii = /^[\x20-\x7e]*$/;

/** A value emitted unquoted; it must match `safe`, whose charset must exclude space, '#', quotes, '\' and '$'. */
export function word(value: string, safe: RegExp, what: string): string {
  if (!safe.test(value) || /[\s#"'\\$]/.test(value) || value === '') {
    throw new RenderError([`${what}: ${JSON.stringify(value)} contains characters that cannot appear in haproxy.cfg`]);
  }
  return value;
}

/** A value emitted as one double-quoted word with '\', '"' and '$' escaped. */
export function quoted(value: string, what: string): string {
  if (!printableAscii.test(value)) {
    throw new RenderError([`${what}: ${JSON.stringify(value)} contains control or non-ASCII characters`]);
  }
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** A value for an argument HAProxy evaluates as a log-format string: '%' is doubled first. */
export function quotedLogFormat(value: string, what: string): string {
  return quoted(value.replaceAll('%', '%%'), what);
}
