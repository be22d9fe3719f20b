/** The two batch requests the edge and the origin treat apart from other requests. */

/** Anthropic's Message Batches: the requests come inline, in the body of the create call. */
const MESSAGE_BATCHES = '/v1/messages/batches';

/**
 * Requests whose body is a file of requests, not one request: POST /v1/files and POST
 * /v1/messages/batches (their own body limit, origin and edge; no model of their own to check).
 */
export function isUpload(method: string, path: string): boolean {
  return method === 'POST' && (path === '/v1/files' || path === MESSAGE_BATCHES);
}

/** POST /v1/batches and /v1/messages/batches: the edge sends the tenant's model allow-list with them, for the origin to apply per line. */
export function isBatchCreate(method: string, path: string): boolean {
  return method === 'POST' && (path === '/v1/batches' || path === MESSAGE_BATCHES);
}
