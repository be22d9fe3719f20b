/** The two batch requests the edge and the origin treat apart from other requests. */

/** The one request whose body is a file, not a request: POST /v1/files (its own body limit, origin and edge). */
export function isUpload(method: string, path: string): boolean {
  return method === 'POST' && path === '/v1/files';
}

/** POST /v1/batches: the edge sends the tenant's model allow-list with it, for the origin to apply per line. */
export function isBatchCreate(method: string, path: string): boolean {
  return method === 'POST' && path === '/v1/batches';
}
