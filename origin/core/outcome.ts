import type { PuertaError } from '../../shared/errors.ts';

/** `client_stalled`: the client stopped reading mid-stream (stream.writeStallMs) and was cut off. */
export type Outcome = 'ok' | 'client_cancelled' | 'client_stalled' | 'upstream_error' | 'rejected' | 'error';

/** How the client ended a request itself: it left, or it stopped reading (stream.writeStallMs). */
export type ClientEnding = 'client_cancelled' | 'client_stalled';

/**
 * The one classification of how a request ended, for the record (and so for metrics, audit and
 * usage): from the answer's status, the typed error and what the client did. An error the
 * upstream caused is the upstream's, whatever its status.
 */
export function outcomeOf(status: number, err: Pick<PuertaError, 'upstream' | 'status'> | undefined, clientEnded: ClientEnding | undefined): Outcome {
  if (clientEnded) return clientEnded;
  if (status < 400 && !err) return 'ok';
  if (err?.upstream) return 'upstream_error';
  return (err?.status ?? status) < 500 ? 'rejected' : 'error';
}
