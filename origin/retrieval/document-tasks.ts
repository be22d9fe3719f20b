import type { ParsedJson } from '../../shared/json-body.ts';
import type { ChunkJob, ChunkOutcome } from './prepare.ts';

/** The work a document worker does: an upload's JSON, one document's chunks, or the near-duplicates among them. */
export type DocumentTask =
  | { kind: 'parse'; text: string }
  | { kind: 'chunk'; job: ChunkJob }
  /** `n` vectors of `dims` packed in one array (transferred, not copied). */
  | { kind: 'dedup'; vectors: Float32Array; dims: number; threshold: number };

export interface TaskResults {
  parse: ParsedJson;
  chunk: ChunkOutcome;
  /** Indexes of the vectors that are near-duplicates of an earlier one. */
  dedup: number[];
}

export interface ToWorker {
  id: number;
  task: DocumentTask;
}

export type FromWorker =
  /** Started; `tid` is its kernel thread id where /proc has one (for its CPU time). */
  | { type: 'ready'; tid: number | undefined }
  | { type: 'done'; id: number; result: TaskResults[DocumentTask['kind']] }
  /** The task threw; only the error's name travels (a message could quote the document). */
  | { type: 'failed'; id: number; error: string };
