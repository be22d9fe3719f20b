/** What each client dialect's error file provides (listed in ./errors.ts); apart so the dialects need not import the table that imports them. */
import type { PuertaError } from '../errors.ts';

export type StreamWire = 'sse' | 'ndjson';

export interface ErrorShape {
  /** The JSON error body of a refused request. */
  body(err: PuertaError, requestId: string | undefined): unknown;
  /** The HTTP status this dialect's clients expect for the error; the error's own when absent. */
  status?(err: PuertaError): number;
  /**
   * The last frame of a stream that failed after its first byte. `sent` is the end of what the
   * stream already carried, when the caller kept it (the edge's guard), so the frame can go on
   * from it (Responses numbers its events).
   */
  streamError(err: PuertaError, requestId: string | undefined, sent?: string): Uint8Array;
  /**
   * Whether a stream's tail (complete frames only) already ends with its terminal frame: the
   * normal end or the dialect's own error frame. A cut-off frame never counts.
   */
  endedCleanly(tail: string): boolean;
}
