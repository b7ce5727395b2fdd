// Errors from the apiserver arrive as a metav1.Status body. They become one ApiError whose
// `reason` is a closed union, so callers branch on a discriminant instead of on HTTP codes
// or message text (which the apiserver does not promise to keep stable).

export type ApiErrorReason =
  | 'NotFound'
  | 'Conflict'
  | 'AlreadyExists'
  | 'Invalid'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Gone'
  | 'TooManyRequests'
  | 'Timeout'
  | 'InternalError'
  | 'BadRequest'
  | 'Unknown';

/** One field-level problem, as `details.causes` of a Status carries it (e.g. for Invalid). */
export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

/** The metav1.Status shape, as far as the runtime reads it. */
export interface Status {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { field?: string; message?: string; reason?: string; type?: string }[];
    retryAfterSeconds?: number;
  };
}

export class ApiError extends Error {
  readonly reason: ApiErrorReason;
  readonly code: number;
  readonly causes: StatusCause[];
  /** The body the apiserver sent: a Status when it could be parsed, else the raw text. */
  readonly status: unknown;
  /** Seconds the apiserver asked us to wait before retrying, when it said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: { reason: ApiErrorReason; code: number; message: string; causes?: StatusCause[]; status?: unknown; retryAfterSeconds?: number }) {
    super(init.message);
    this.name = 'ApiError';
    this.reason = init.reason;
    this.code = init.code;
    this.causes = init.causes ?? [];
    this.status = init.status;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

// The apiserver's StatusReason strings that do not share our names.
const reasonAliases: Record<string, ApiErrorReason> = {
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  AlreadyExists: 'AlreadyExists',
  Invalid: 'Invalid',
  Forbidden: 'Forbidden',
  Unauthorized: 'Unauthorized',
  Gone: 'Gone',
  Expired: 'Gone',
  TooManyRequests: 'TooManyRequests',
  Timeout: 'Timeout',
  ServerTimeout: 'Timeout',
  InternalError: 'InternalError',
  BadRequest: 'BadRequest',
};

function reasonForCode(code: number): ApiErrorReason {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalError';
    case 504:
      return 'Timeout';
    default:
      return 'Unknown';
  }
}

function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status';
}

/**
 * Builds the ApiError for a failed response or a watch ERROR event. `body` is the parsed JSON
 * (or the raw text when it was not JSON). The Status reason wins over the HTTP code, because
 * one code carries several reasons (409 is both Conflict and AlreadyExists).
 */
export function apiErrorFrom(httpCode: number, body: unknown, retryAfterHeader?: string): ApiError {
  const st = isStatus(body) ? body : undefined;
  const code = st?.code ?? httpCode;
  const reason = (st?.reason !== undefined ? reasonAliases[st.reason] : undefined) ?? reasonForCode(code);
  const causes: StatusCause[] = (st?.details?.causes ?? []).map((c) => {
    const cause: StatusCause = { message: c.message ?? '' };
    if (c.field !== undefined) cause.field = c.field;
    const r = c.reason ?? c.type;
    if (r !== undefined) cause.reason = r;
    return cause;
  });
  const headerSeconds = retryAfterHeader !== undefined ? Number(retryAfterHeader) : NaN;
  const retryAfterSeconds = st?.details?.retryAfterSeconds ?? (Number.isFinite(headerSeconds) ? headerSeconds : undefined);
  const text = typeof body === 'string' ? body.trim().slice(0, 500) : '';
  const message = st?.message ?? (text !== '' ? text : `the server responded with HTTP ${code}`);
  return new ApiError({ reason, code, message, causes, status: body, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

function hasReason(e: unknown, reason: ApiErrorReason): e is ApiError {
  return e instanceof ApiError && e.reason === reason;
}

export const isNotFound = (e: unknown): e is ApiError => hasReason(e, 'NotFound');
export const isConflict = (e: unknown): e is ApiError => hasReason(e, 'Conflict');
export const isAlreadyExists = (e: unknown): e is ApiError => hasReason(e, 'AlreadyExists');
export const isInvalid = (e: unknown): e is ApiError => hasReason(e, 'Invalid');
export const isForbidden = (e: unknown): e is ApiError => hasReason(e, 'Forbidden');
export const isUnauthorized = (e: unknown): e is ApiError => hasReason(e, 'Unauthorized');
export const isGone = (e: unknown): e is ApiError => hasReason(e, 'Gone');
export const isTooManyRequests = (e: unknown): e is ApiError => hasReason(e, 'TooManyRequests');
