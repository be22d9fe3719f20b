import type { BatchConfig } from './config.ts';
import type { JsonlParser } from './jsonl/parse.ts';
import type { BatchStore } from './store/store.ts';

/**
 * What the routes and other front ends (the CLI's API, the console, Anthropic's Message Batches)
 * get of the batch stage: its settings, the store, the JSONL parser's workers, and a way to tell
 * the runner that there is new work. The runner itself (and the pipeline it reaches) stays behind it.
 */
export interface BatchService {
  readonly cfg: BatchConfig;
  readonly store: BatchStore;
  readonly parser: JsonlParser;
  /** Aborted when a shutdown begins: progress streams end then (they are not API requests to wait for). */
  readonly drainSignal?: AbortSignal | undefined;
  /** New work (a batch created or cancelled here): idle runner loops look now. */
  wake(): void;
  close(): Promise<void>;
}
