// Structured logs: one JSON object per line on stderr, so `kubectl logs` output can be parsed
// by any log pipeline. A child logger carries keys (controller, object, reconcileID) into every
// line it writes, the way logr's WithValues does. Values whose key looks like a credential are
// replaced before they are written: a secret must never reach a log line by accident.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Lowest level written. Default: $TUGBOAT_LOG_LEVEL, else 'info'. */
  level?: LogLevel;
  /** Where lines go. Default: process.stderr. */
  write?: (line: string) => void;
  /** Fields on every line. */
  fields?: LogFields;
  /** Clock, injectable for tests. */
  now?: () => Date;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && Object.hasOwn(order, v);
}

const secretKey = /pass(word)?|secret|token|credential|private.?key|api.?key|authorization/i;

/** JSON-safe form of a value; errors become {name, message, reason?, code?}, never a stack dump of request bodies. */
function plain(v: unknown, depth = 0): unknown {
  if (v instanceof Error) {
    const out: Record<string, unknown> = { name: v.name, message: v.message };
    const extra = v as Error & { reason?: unknown; code?: unknown; cause?: unknown };
    if (typeof extra.reason === 'string') out.reason = extra.reason;
    if (typeof extra.code === 'number' || typeof extra.code === 'string') out.code = extra.code;
    if (extra.cause !== undefined && depth < 3) out.cause = plain(extra.cause, depth + 1);
    return out;
  }
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return depth > 5 ? '[…]' : v.map((x) => plain(x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    if (depth > 5) return '{…}';
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = secretKey.test(k) ? '[redacted]' : plain(x, depth + 1);
    return out;
  }
  return v;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const envLevel = process.env.TUGBOAT_LOG_LEVEL;
  const level: LogLevel = opts.level ?? (isLogLevel(envLevel) ? envLevel : 'info');
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  const make = (base: LogFields): Logger => {
    const enabled = (l: LogLevel) => order[l] >= order[level];
    const emit = (l: LogLevel, msg: string, fields?: LogFields) => {
      if (!enabled(l)) return;
      const entry = plain({ ...base, ...fields }) as LogFields;
      // The envelope keys belong to the logger; a field with the same name must not forge them.
      delete entry.ts;
      delete entry.level;
      delete entry.msg;
      let line: string;
      try {
        line = JSON.stringify({ ts: now().toISOString(), level: l, msg, ...entry });
      } catch {
        line = JSON.stringify({ ts: now().toISOString(), level: l, msg, logError: 'fields were not serializable' });
      }
      write(`${line}\n`);
    };
    return {
      level,
      enabled,
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(opts.fields ?? {});
}

/** A logger that writes nothing (tests, libraries embedded where the host logs). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => undefined });
