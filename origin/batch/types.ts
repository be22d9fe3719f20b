/**
 * The batch stage's module boundary: what the store keeps, what the routes answer and what the
 * runner does with a line. The OpenAI routes (files-routes.ts, batches-routes.ts) and any other
 * front end (Anthropic's Message Batches, the CLI, the console) build on these types and on
 * BatchStore / LineRunner, never on the tables.
 */
import type { TenantContext } from '../core/tenant.ts';
import type { BatchStatus } from './lifecycle.ts';

type TenantVia = TenantContext['via'];

/** The four endpoints a batch may run (OpenAI's list). */
export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings', '/v1/completions', '/v1/responses'] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

/** What a stored line may call: OpenAI's batch endpoints, and Anthropic's Messages for Message Batches (anthropic/). */
export const LINE_ENDPOINTS = [...BATCH_ENDPOINTS, '/v1/messages'] as const;
export type LineEndpoint = (typeof LINE_ENDPOINTS)[number];

/** Purposes a file may have here: uploads are `batch`; the stage writes `batch_output` files. */
export type FilePurpose = 'batch' | 'batch_output';

/** OpenAI's file object. */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
  status_details: null;
}

export interface RequestCounts {
  total: number;
  completed: number;
  failed: number;
}

/** OpenAI's batch object. */
export interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: BatchEndpoint;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: '24h';
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: RequestCounts;
  metadata: Record<string, string> | null;
}

/** One problem with an input file: which line, which field, what was wrong. */
export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/** One validated line of an input file. */
export interface InputLine {
  custom_id: string;
  method: 'POST';
  url: LineEndpoint;
  /** The request body as JSON text, exactly as the engine's route reads it. */
  body: string;
}

/** A new upload, already validated (jsonl/validate.ts). */
export interface NewFile {
  tenant: string;
  filename: string;
  purpose: FilePurpose;
  content: Uint8Array;
  lineCount: number | null;
}

export interface NewBatch {
  tenant: string;
  endpoint: LineEndpoint;
  inputFileId: string;
  completionWindow: '24h';
  metadata: Record<string, string> | null;
  /** The tenant's model allow-list (empty: every model), applied to each line. */
  models: readonly string[];
  country?: string | undefined;
  pop?: string | undefined;
  /** How its tenant was known (TenantContext.via): its lines run as that tenant (`none`: no tenant share cap). */
  via?: TenantVia | undefined;
}

/** A line handed to one replica under a lease. */
export interface ClaimedLine {
  batchId: string;
  idx: number;
  customId: string;
  tenant: string;
  endpoint: LineEndpoint;
  body: string;
  attempts: number;
  models: readonly string[];
  country: string | null;
  pop: string | null;
  via: TenantVia;
}

/** The HTTP answer a line got (OpenAI's `response`), kept whatever its status. */
export interface LineAnswer {
  statusCode: number;
  requestId: string;
  /** The response body as JSON text. */
  body: string;
}

/**
 * What running a line came to. `answered`: the line's result, written once. `retry`: the engine
 * failed and tries remain, or admission had no slot in time: back to pending after `afterMs`.
 * `pause`: the tenant's daily token quota is used up: the whole batch waits `afterMs`.
 */
export type LineOutcome =
  | { kind: 'answered'; answer: LineAnswer }
  | { kind: 'retry'; afterMs: number; countsAsAttempt: boolean }
  | { kind: 'pause'; afterMs: number }
  /** Stopped by admission so an interactive request got its slot: back to pending unanswered, no try spent. */
  | { kind: 'preempted' };

/** Runs one line through the origin's pipeline (dialect, quota, allow-list, admission, audit). */
export interface LineRunner {
  run(line: ClaimedLine, signal: AbortSignal): Promise<LineOutcome>;
}

/** Listing pages: OpenAI's `after` cursor and `limit`. */
export interface Page<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}
