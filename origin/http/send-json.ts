import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * A JSON answer with its Content-Length, so the request record (and the audit trail) knows the
 * bytes sent without reading the body again.
 */
export function sendJson(c: Context, body: unknown, status: ContentfulStatusCode = 200, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  return c.body(text, status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
}
