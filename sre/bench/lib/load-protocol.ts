/** Messages between load-generator.ts and its load-worker.ts processes (IPC, JSON). */

/** Signs every request as the edge would (the origin runs with AUTH_MODE=edge). */
export interface SignAs {
  secret: string;
  tenant: string;
}

interface StreamsSpec {
  /** Base URL of the path under test (…/v1/chat/completions is appended). */
  base: string;
  /** Stream i asks for models[i % models.length] (several models: several sets of engine slots). */
  models: string[];
  /** Answer length asked of the simulator ([[sim:tokens=N]]). */
  tokens: number;
  /** Streams this worker opens, numbered from `offset`. */
  n: number;
  offset: number;
  /**
   * Streams of this worker waiting for response headers at once. A burst of thousands of
   * connects overflows the server's listen backlog (Node's is 511) and the dropped SYNs come
   * back a second or more later: real clients arrive spread out, so the generator ramps.
   */
  opening: number;
  /** Bound on the whole step (run) or on every stream being open (hold). */
  deadlineMs: number;
  sign?: SignAs;
}

export type WorkerCommand = ({ op: 'run' } & StreamsSpec) | ({ op: 'hold' } & StreamsSpec) | { op: 'release' } | { op: 'exit' };

/** Errors by kind (`http 503`, `ended without [DONE]`, `UND_ERR_SOCKET` …), counted. */
export type ErrorCounts = Record<string, number>;

export interface StepReport {
  op: 'done';
  ttft: number[];
  gaps: number[];
  /** SSE `data:` events received. */
  events: number;
  errors: ErrorCounts;
}

export interface HoldReport {
  op: 'open' | 'released';
  /** Streams that received their first bytes (a keepalive or a token). */
  opened: number;
  errors: ErrorCounts;
  /** On `released`: streams that had already ended with [DONE] before the release. */
  done?: number;
}
