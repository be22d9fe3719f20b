import { errors, PuertaError, type UpstreamFault } from '../../shared/errors.ts';

function failure(kind: UpstreamFault, message: string, status = 503, retryAfter?: number): PuertaError {
  return new PuertaError({
    status,
    type: status === 503 ? 'overloaded_error' : 'api_error',
    code: `upstream_${kind}`,
    message,
    retryable: true,
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    upstream: kind,
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
      return failure('error', `upstream '${upstream}' failed: ${msg}`, 502);
  }
}

export const upstreamFailures = {
  malformed: (upstream: string, detail: string) =>
    failure('malformed', `upstream '${upstream}' sent a line that is not valid JSON (${detail})`, 502),
  truncated: (upstream: string) =>
    failure('truncated', `upstream '${upstream}' ended the stream before it finished`, 502),
  midStream: (upstream: string, message: string) =>
    failure('error', `upstream '${upstream}' reported an error: ${message}`, 502),
};

/** Maps an upstream's error status and body (Ollama `{"error":"…"}` or OpenAI `{"error":{…}}`). */
export function fromUpstreamStatus(status: number, bodyText: string, upstream: string, model?: string): PuertaError {
  let message = bodyText.slice(0, 500);
  try {
    const parsed = JSON.parse(bodyText) as { error?: string | { message?: string } };
    if (typeof parsed.error === 'string') message = parsed.error;
    else if (parsed.error && typeof parsed.error.message === 'string') message = parsed.error.message;
  } catch {
    // Not JSON: keep the raw text (trimmed) so the operator still sees what the upstream said.
  }
  if (status === 404 && model !== undefined) return errors.modelNotFound(model);
  if (status === 404) return errors.notFound(`upstream '${upstream}': ${message}`);
  if (status === 400 || status === 422) {
    return new PuertaError({ status: 400, type: 'invalid_request_error', code: 'upstream_rejected', message: `upstream rejected the request: ${message}`, retryable: false, upstream: 'rejected' });
  }
  if (status === 429 || status === 503) {
    return new PuertaError({ status: 503, type: 'overloaded_error', code: 'upstream_busy', message: `upstream '${upstream}' is busy: ${message}`, retryAfter: 5, retryable: true, upstream: 'busy' });
  }
  if (status === 499) return errors.upstreamError(`upstream '${upstream}' cancelled the request`, 502, 'upstream_cancelled', 'cancelled');
  return errors.upstreamError(`upstream '${upstream}' answered ${status}: ${message}`, 502);
}
