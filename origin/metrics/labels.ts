import type { RequestRecord } from '../core/record.ts';

/**
 * Label values from request metadata, kept to a bounded set: a client can send any path or model
 * name, and each distinct label value is a new time series in Prometheus. Routes are the table's.
 */
export function routeLabel(rec: RequestRecord): string {
  return rec.routeEntry ? rec.routeEntry.path : 'other';
}

/** The model name only once routing found it (an unknown model is the client's free text). */
export function modelLabel(rec: RequestRecord): string {
  return rec.upstream !== undefined && rec.publicModel !== undefined ? rec.publicModel : 'none';
}
