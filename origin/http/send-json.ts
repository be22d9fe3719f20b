import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * A JSON answer with its Content-Length, so the request record (and the audit trail) knows the
 * bytes sent without reading the body again.
 */
import type { WholeAnswer } from '../core/upstream.ts';

export type { WholeAnswer };

export function sendWhole(c: Context, answer: WholeAnswer): Response {
  if (answer.kind === 'json') return sendJson(c, answer.value);
  return new Response(answer.bytes, { status: answer.status, headers: { 'content-type': answer.contentType, 'content-length': String(answer.bytes.byteLength) } });
}

export function sendJson(c: Context, body: unknown, status: ContentfulStatusCode = 200, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  return c.body(text, status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
}
