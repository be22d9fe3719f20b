import type { BatchError, InputLine } from '../types.ts';

/** What the JSONL worker is asked (jsonl/jsonl-worker.ts) and answers. */
export type JsonlTask =
  /** A multipart upload (POST /v1/files): its fields, and its file checked line by line. */
  | { kind: 'upload'; body: ArrayBuffer; contentType: string; maxLines: number; maxFileBytes: number }
  /** A stored input file, parsed into lines for a batch. */
  | { kind: 'lines'; content: ArrayBuffer; maxLines: number }
  /** POST /v1/messages/batches: Anthropic's `requests` checked and written as an input file's lines (anthropic/requests.ts). */
  | { kind: 'message-batch'; body: ArrayBuffer; maxLines: number };

export type JsonlResult =
  | { kind: 'upload'; ok: true; filename: string; purpose: 'batch'; content: Uint8Array; lineCount: number }
  | { kind: 'lines'; ok: true; lines: InputLine[] }
  | { kind: 'message-batch'; ok: true; content: Uint8Array; lineCount: number }
  /** The request itself is wrong (a missing field, a wrong purpose): a 400 naming the field. */
  | { ok: false; errors: BatchError[] };
