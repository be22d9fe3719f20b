/**
 * The ingestion job's progress stream (GET /v1/ingest/jobs/{job}/events, origin/retrieval/routes.ts):
 * `event: progress` frames, then one `event: done` with the job's final state. It is no model
 * stream, so it does not end with a dialect's terminal frame (`data: [DONE]`…): a relay that
 * guards streams (the edge's stream guard) reads its end from here.
 */
import { lastEventIs } from './dialects/sse-tail.ts';

/** The last event of a finished job's stream. */
export const JOB_DONE_EVENT = 'done';

/** Ingestion jobs' and batches' progress streams (GET /v1/batches/{id}/events, origin/batch/batches-routes.ts). */
const JOB_EVENTS_PATH = /^\/v1\/(ingest\/jobs|batches)\/[^/]+\/events$/;

export function isJobEventsPath(path: string): boolean {
  return JOB_EVENTS_PATH.test(path);
}

/** Whether the stream's tail ends with `done`, or with an error event (the origin's own last word). */
export function jobEventsEnded(tail: string): boolean {
  return lastEventIs(tail, [JOB_DONE_EVENT, 'error']);
}
