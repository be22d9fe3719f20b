/**
 * A batch's status lifecycle as OpenAI documents it, as states and the transitions between them.
 * Every status change in the store is one of these, made with a conditional UPDATE (`WHERE status
 * = from`), so two replicas racing to make the same change cannot both make it.
 */
export const BATCH_STATUSES = ['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export type BatchEvent =
  /** Every line of the input file checked and stored. */
  | 'validated'
  /** The input file was refused (errors.data says why). */
  | 'invalid'
  /** No line is left to run: the output files are written next. */
  | 'drained'
  /** The output and error files are stored. */
  | 'written'
  /** POST /v1/batches/{id}/cancel. */
  | 'cancel'
  /** Cancelling and no line is running any more: what finished is written. */
  | 'cancel_drained'
  /** completion_window passed with lines still unanswered. */
  | 'window_passed';

export const TRANSITIONS: Readonly<Record<BatchStatus, Partial<Record<BatchEvent, BatchStatus>>>> = {
  validating: { validated: 'in_progress', invalid: 'failed', cancel: 'cancelling', window_passed: 'expired' },
  in_progress: { drained: 'finalizing', cancel: 'cancelling', window_passed: 'expired' },
  finalizing: { written: 'completed' },
  cancelling: { cancel_drained: 'cancelled' },
  completed: {},
  failed: {},
  expired: {},
  cancelled: {},
};

/** The status an event leads to from `from`, or undefined when the event does not apply there. */
export function next(from: BatchStatus, ev: BatchEvent): BatchStatus | undefined {
  return TRANSITIONS[from][ev];
}

/** Statuses a batch never leaves. */
export function isTerminal(s: BatchStatus): boolean {
  return Object.keys(TRANSITIONS[s]).length === 0;
}

/** The timestamp column each status stamps when entered (OpenAI's `<status>_at`). */
export const STAMP: Readonly<Partial<Record<BatchStatus, string>>> = {
  in_progress: 'in_progress_at',
  finalizing: 'finalizing_at',
  completed: 'completed_at',
  failed: 'failed_at',
  expired: 'expired_at',
  cancelling: 'cancelling_at',
  cancelled: 'cancelled_at',
};
