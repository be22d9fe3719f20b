import { z } from 'zod';

/**
 * The one error shape of the whole path (docs/wire-contracts.md "Errors"): OpenAI-style JSON before
 * the first byte, the same object as the `data:` of a final `event: error` after it.
 */
export const errorTypes = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'rate_limit_error',
  'request_too_large',
  'timeout_error',
  'overloaded_error',
  'api_error',
] as const;
export type ErrorType = (typeof errorTypes)[number];

export const errorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.string().nullable(),
    param: z.string().nullable(),
    retryable: z.boolean().optional(),
  }),
  request_id: z.string().optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * What went wrong with the engine (or, at the edge, the origin) when it is the one at fault; the
 * client-facing `code` is `upstream_<fault>`. Outcomes, metrics and replica health read this
 * typed value, never the code's text.
 */
export type UpstreamFault =
  | 'connect'
  | 'connect_timeout'
  | 'first_byte_timeout'
  | 'idle_timeout'
  | 'reset'
  | 'malformed'
  | 'error'
  | 'truncated'
  | 'busy'
  | 'rejected'
  | 'cancelled'
  | 'unavailable'
  | 'timeout';

export interface PuertaErrorInit {
  status: number;
  type: ErrorType;
  message: string;
  code?: string | null;
  param?: string | null;
  /** Whether the same request may succeed if sent again (after Retry-After when given). */
  retryable?: boolean;
  /** Seconds; sent as Retry-After. */
  retryAfter?: number;
  headers?: Record<string, string>;
  cause?: unknown;
  /** Set when the upstream is at fault, and how. */
  upstream?: UpstreamFault;
  /**
   * The message for logs and records when `message` carries text the gateway did not write (an
   * engine's error, which may echo the prompt): the client sees `message`, logs see this.
   */
  logMessage?: string;
  /**
   * The engine's own error text, as it wrote it. Ollama's clients are shown exactly this on the
   * native routes (they match on Ollama's messages); other dialects get `message`, which adds
   * which upstream said it.
   */
  engineText?: string;
}

export class PuertaError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfter: number | undefined;
  readonly headers: Record<string, string>;
  readonly upstream: UpstreamFault | null;
  /** Safe to log: `message` without any engine-written text (see PuertaErrorInit.logMessage). */
  readonly logMessage: string;
  readonly engineText: string | undefined;

  constructor(init: PuertaErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PuertaError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.retryable = init.retryable ?? (init.status === 429 || init.status >= 500);
    this.retryAfter = init.retryAfter;
    this.headers = init.headers ?? {};
    this.upstream = init.upstream ?? null;
    this.logMessage = init.logMessage ?? init.message;
    this.engineText = init.engineText;
  }

  /** The same error with `logMessage` for logs and records (the client still sees `message`). */
  withLogMessage(logMessage: string): PuertaError {
    return new PuertaError({
      status: this.status,
      type: this.type,
      code: this.code,
      param: this.param,
      message: this.message,
      retryable: this.retryable,
      ...(this.retryAfter !== undefined ? { retryAfter: this.retryAfter } : {}),
      headers: this.headers,
      ...(this.upstream !== null ? { upstream: this.upstream } : {}),
      logMessage,
      ...(this.engineText !== undefined ? { engineText: this.engineText } : {}),
    });
  }

  body(requestId?: string, withRetryable = false): ErrorBody {
    const error: ErrorBody['error'] = {
      message: this.message,
      type: this.type,
      code: this.code,
      param: this.param,
    };
    if (withRetryable) error.retryable = this.retryable;
    return requestId === undefined ? { error } : { error, request_id: requestId };
  }

  responseHeaders(requestId?: string): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', ...this.headers };
    if (this.retryAfter !== undefined) h['retry-after'] = String(Math.max(1, Math.ceil(this.retryAfter)));
    if (requestId !== undefined) h['x-request-id'] = requestId;
    return h;
  }

  toResponse(requestId?: string): Response {
    return new Response(JSON.stringify(this.body(requestId)), {
      status: this.status,
      headers: this.responseHeaders(requestId),
    });
  }
}

/** Anything thrown becomes a PuertaError; unknown failures are 500s that hide internals. */
export function toPuertaError(err: unknown): PuertaError {
  if (err instanceof PuertaError) return err;
  return new PuertaError({
    status: 500,
    type: 'api_error',
    code: 'internal_error',
    message: 'internal error in the gateway; the request id identifies it in the logs',
    retryable: true,
    cause: err,
  });
}

export const errors = {
  badRequest: (message: string, param: string | null = null, code = 'invalid_request') =>
    new PuertaError({ status: 400, type: 'invalid_request_error', code, param, message, retryable: false }),
  unauthorized: (message: string, code = 'invalid_api_key') =>
    new PuertaError({ status: 401, type: 'authentication_error', code, message, retryable: false }),
  forbidden: (message: string, code = 'forbidden') =>
    new PuertaError({ status: 403, type: 'permission_error', code, message, retryable: false }),
  modelNotFound: (model: string, available?: readonly string[]) =>
    new PuertaError({
      status: 404,
      type: 'not_found_error',
      code: 'model_not_found',
      param: 'model',
      message:
        `The model '${model}' does not exist or is not served here` +
        (available && available.length ? `; available: ${available.join(', ')}` : ''),
      retryable: false,
    }),
  notFound: (message: string) =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'not_found', message, retryable: false }),
  payloadTooLarge: (limitBytes: number) =>
    new PuertaError({
      status: 413,
      type: 'request_too_large',
      code: 'request_too_large',
      message: `request body exceeds the limit of ${limitBytes} bytes; send a smaller body or raise MAX_BODY_BYTES`,
      retryable: false,
      // The body may be only partly read: the connection cannot carry another request, so the
      // client is told to open a new one rather than finding out from a reset.
      headers: { connection: 'close' },
    }),
  upstreamUnavailable: (message: string, retryAfter = 5) =>
    new PuertaError({ status: 503, type: 'overloaded_error', code: 'upstream_unavailable', message, retryAfter, retryable: true, upstream: 'unavailable' }),
  upstreamTimeout: (message: string) =>
    new PuertaError({ status: 504, type: 'timeout_error', code: 'upstream_timeout', message, retryable: true, upstream: 'timeout' }),
  upstreamError: (message: string, status = 502, code = 'upstream_error', fault: UpstreamFault = 'error', engineText?: string) =>
    new PuertaError({ status, type: 'api_error', code, message, retryable: status >= 500, upstream: fault, ...(engineText !== undefined ? { engineText } : {}) }),
};
