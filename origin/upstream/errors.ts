import { createHash } from 'node:crypto';
import { errors, PuertaError, type UpstreamFault } from '../../shared/errors.ts';

/**
 * Text an engine wrote (an error message, a line that did not parse) may echo the prompt. The
 * client that sent the prompt gets it back; logs and records get only its length and a digest,
 * enough to match two reports of the same failure and never enough to read it.
 */
export function engineTextForLogs(text: string): string {
  return `[engine text withheld: ${text.length} chars, sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}]`;
}

function failure(kind: UpstreamFault, message: string, status = 503, retryAfter?: number, logMessage?: string): PuertaError {
  return new PuertaError({
    status,
    type: status === 503 ? 'overloaded_error' : 'api_error',
    code: `upstream_${kind}`,
    message,
    retryable: true,
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    upstream: kind,
    ...(logMessage !== undefined ? { logMessage } : {}),
  });
}

/** Maps an undici/network error (before or during the body) to a client-facing error. */
export function fromNetworkError(err: unknown, upstream: string, phase: 'open' | 'body', idleMs?: number): PuertaError {
  if (err instanceof PuertaError) return err;
  const code = (err as { code?: string })?.code ?? '';
  const msg = (err as Error)?.message ?? String(err);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return failure('connect', `upstream '${upstream}' is unreachable (${code}); it may be restarting`, 503, 5);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return failure('connect_timeout', `upstream '${upstream}' did not accept the connection in time`, 503, 5);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return failure('first_byte_timeout', `upstream '${upstream}' did not start answering in time (busy or loading a model)`, 503, 10);
    case 'UND_ERR_BODY_TIMEOUT':
      return failure('idle_timeout', `upstream '${upstream}' went silent for more than ${idleMs ?? '?'} ms mid-response`, 502);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return failure('reset', `upstream '${upstream}' closed the connection ${phase === 'open' ? 'before answering' : 'mid-response'}`, phase === 'open' ? 503 : 502, phase === 'open' ? 2 : undefined);
    default:
      // Anything else (a body that did not parse says what it read): the text stays out of logs.
      return failure('error', `upstream '${upstream}' failed: ${msg}`, 502, undefined, `upstream '${upstream}' failed: ${engineTextForLogs(msg)}`);
  }
}

export const upstreamFailures = {
  malformed: (upstream: string, detail: string) =>
    failure('malformed', `upstream '${upstream}' sent a line that is not valid JSON (${detail})`, 502, undefined, `upstream '${upstream}' sent a line that is not valid JSON ${engineTextForLogs(detail)}`),
  truncated: (upstream: string) =>
    failure('truncated', `upstream '${upstream}' ended the stream before it finished`, 502),
  midStream: (upstream: string, message: string) =>
    failure('error', `upstream '${upstream}' reported an error: ${message}`, 502, undefined, `upstream '${upstream}' reported an error: ${engineTextForLogs(message)}`),
};

/** Maps an upstream's error status and body (Ollama `{"error":"…"}` or OpenAI `{"error":{…}}`). */
export function fromUpstreamStatus(status: number, bodyText: string, upstream: string, model?: string): PuertaError {
  let message = bodyText.slice(0, 500);
  try {
    const parsed = JSON.parse(bodyText) as { error?: string | { message?: string } };
    if (typeof parsed.error === 'string') message = parsed.error;
    else if (parsed.error && typeof parsed.error.message === 'string') message = parsed.error.message;
  } catch {
    // Not JSON: the raw text (trimmed) goes to the client; logs get only its digest.
  }
  const logged = engineTextForLogs(message);
  if (status === 404 && model !== undefined) return errors.modelNotFound(model);
  if (status === 404) return new PuertaError({ status: 404, type: 'not_found_error', code: 'not_found', message: `upstream '${upstream}': ${message}`, logMessage: `upstream '${upstream}': ${logged}`, retryable: false, engineText: message });
  if (status === 400 || status === 422) {
    return new PuertaError({ status: 400, type: 'invalid_request_error', code: 'upstream_rejected', message: `upstream rejected the request: ${message}`, logMessage: `upstream rejected the request: ${logged}`, retryable: false, upstream: 'rejected', engineText: message });
  }
  if (status === 429 || status === 503) {
    return new PuertaError({ status: 503, type: 'overloaded_error', code: 'upstream_busy', message: `upstream '${upstream}' is busy: ${message}`, logMessage: `upstream '${upstream}' is busy: ${logged}`, retryAfter: 5, retryable: true, upstream: 'busy', engineText: message });
  }
  if (status === 499) return errors.upstreamError(`upstream '${upstream}' cancelled the request`, 502, 'upstream_cancelled', 'cancelled', message);
  return errors.upstreamError(`upstream '${upstream}' answered ${status}: ${message}`, 502, 'upstream_error', 'error', message).withLogMessage(`upstream '${upstream}' answered ${status}: ${logged}`);
}
