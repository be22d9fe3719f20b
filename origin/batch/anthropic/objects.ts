/**
 * Anthropic's Message Batch object and results lines, from the stage's batch and its lines.
 * Ids: Anthropic's `msgbatch_` prefix on the stage's own `batch_` id, so either maps to the other
 * without a table of its own.
 */
import { isTerminal, type BatchStatus } from '../lifecycle.ts';
import { isExpiredLine, type LineResult, type LineTally } from '../store/message-batches.ts';
import type { BatchObject } from '../types.ts';

export interface MessageBatch {
  id: string;
  type: 'message_batch';
  processing_status: 'in_progress' | 'canceling' | 'ended';
  request_counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  ended_at: string | null;
  created_at: string;
  expires_at: string;
  archived_at: null;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

const OURS = 'batch_';
const THEIRS = 'msgbatch_';

export const toMessageBatchId = (id: string) => THEIRS + id.slice(OURS.length);
/** The stage's id for an Anthropic id; undefined for anything that is not one (not found). */
export const fromMessageBatchId = (id: string) => (id.startsWith(THEIRS) ? OURS + id.slice(THEIRS.length) : undefined);

const iso = (secs: number | null) => (secs === null ? null : new Date(secs * 1000).toISOString());

function processingStatus(s: BatchStatus): MessageBatch['processing_status'] {
  if (isTerminal(s)) return 'ended';
  return s === 'cancelling' ? 'canceling' : 'in_progress';
}

export function messageBatch(b: BatchObject, t: LineTally): MessageBatch {
  const id = toMessageBatchId(b.id);
  const status = processingStatus(b.status);
  // Lines not answered: still to run, or (the batch cancelled) never run.
  const cancelled = b.status === 'cancelled' || b.status === 'failed';
  return {
    id,
    type: 'message_batch',
    processing_status: status,
    request_counts: { processing: cancelled ? 0 : t.open, succeeded: t.succeeded, errored: t.errored, canceled: cancelled ? t.open : 0, expired: t.expired },
    ended_at: iso(b.completed_at ?? b.cancelled_at ?? b.expired_at ?? b.failed_at),
    created_at: iso(b.created_at)!,
    expires_at: iso(b.expires_at)!,
    archived_at: null,
    cancel_initiated_at: iso(b.cancelling_at),
    // Relative: the client joins it to the base URL it called (the edge's), which the origin does not know.
    results_url: status === 'ended' ? `/v1/messages/batches/${id}/results` : null,
  };
}

/** One line of the results file (`{"custom_id","result":{"type",…}}`); the answer's JSON text is not parsed again. */
export function resultLine(l: LineResult): string {
  const head = `{"custom_id":${JSON.stringify(l.customId)},"result":`;
  if (!l.done) return `${head}{"type":"canceled"}}\n`;
  if (isExpiredLine(l)) return `${head}{"type":"expired"}}\n`;
  if (l.statusCode !== null && l.statusCode >= 200 && l.statusCode < 300 && l.response !== null) return `${head}{"type":"succeeded","message":${l.response}}}\n`;
  // A refused line's answer is already Anthropic's error object (the Messages route wrote it).
  const error = l.response?.trimStart().startsWith('{') ? l.response : JSON.stringify({ type: 'error', error: { type: 'api_error', message: l.error?.message ?? 'the request was not answered' } });
  return `${head}{"type":"errored","error":${error}}}\n`;
}
