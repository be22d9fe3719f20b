import type { TenantLimits } from './config.ts';

/** Which limit refused a request (also the `code` suffix of the 429). */
export type LimitKind = 'requests' | 'tokens' | 'daily_tokens' | 'concurrency';

export interface AdmitInput {
  tenant: string;
  limits: TenantLimits;
  now: number;
  /** Up-front token estimate (prompt + completion) charged now, corrected at settle. */
  estimate: number;
  /** Concurrent-stream lease to take; null for requests that are not streams. */
  leaseId: string | null;
  leaseTtlMs: number;
  /** UTC day (YYYY-MM-DD) the estimate is charged to. */
  day: string;
}

/** One limiter decision, with what the x-ratelimit-* headers report. */
export interface Decision {
  allowed: boolean;
  reason: LimitKind | null;
  requestsRemaining: number;
  requestsResetMs: number;
  tokensRemaining: number;
  tokensResetMs: number;
  /** For a refusal: when the same request could pass. */
  retryAfterMs: number;
  /** Decided by the replica-local limiter because Redis did not answer. */
  degraded: boolean;
}

export interface SettleInput {
  tenant: string;
  limits: TenantLimits;
  now: number;
  /** Tokens-per-minute correction: actual tokens minus the estimate charged at admit (negative refunds). */
  tokenDelta: number;
  /** Daily-budget correction (the same as tokenDelta, except when replaying usage after an outage). */
  dayDelta: number;
  leaseId: string | null;
  /** Day the estimate was charged to. */
  day: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  error: boolean;
}

/** Usage of one tenant on one UTC day for one model. */
export interface UsageRow {
  day: string;
  tenant: string;
  model: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  errors: number;
}

export interface UsageQuery {
  tenant?: string;
  model?: string;
  /** Inclusive UTC days, YYYY-MM-DD. */
  from: string;
  to: string;
}

export interface QuotaStore {
  readonly kind: 'redis' | 'memory';
  admit(input: AdmitInput): Promise<Decision>;
  settle(input: SettleInput): Promise<void>;
  /** Extends the leases of streams still running on this replica. */
  renew(leases: ReadonlyArray<{ tenant: string; leaseId: string }>, expiresAt: number): Promise<void>;
  usage(q: UsageQuery): Promise<UsageRow[]>;
  close(): Promise<void>;
}

export const WINDOW_MS = 60_000;
