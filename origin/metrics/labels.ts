import type { RequestRecord } from '../pipeline/record.ts';

/**
 * Label values from request metadata, kept to a bounded set: a client can send any path or model
 * name, and each distinct label value is a new time series in Prometheus.
 */
const KNOWN_ROUTES = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/models',
  '/api/chat',
  '/api/generate',
  '/api/embed',
  '/api/embeddings',
  '/api/show',
  '/api/tags',
  '/api/ps',
  '/api/version',
]);

export function routeLabel(rec: RequestRecord): string {
  return KNOWN_ROUTES.has(rec.route) ? rec.route : 'other';
}

/** The model name only once routing found it (an unknown model is the client's free text). */
export function modelLabel(rec: RequestRecord): string {
  return rec.upstream !== undefined && rec.publicModel !== undefined ? rec.publicModel : 'none';
}
