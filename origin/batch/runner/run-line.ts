import type { Hono } from 'hono';
import type { OriginEnv } from '../../core/env.ts';
import type { ClaimedLine, LineOutcome, LineRunner } from '../types.ts';
import { LINE_ERROR_CODE, lineRequest } from './line-app.ts';

/** Admission had no slot in time, or the tenant's share of slots was taken: try later, no attempt spent. */
const NO_SLOT_CODES = new Set(['queue_full', 'queue_wait_exceeded', 'tenant_share_exceeded', 'rate_limit_exceeded', 'concurrent_streams_exceeded']);
const DAILY_QUOTA_CODE = 'daily_token_budget_exceeded';

/**
 * Runs each line through the line app (runner/line-app.ts) and reads its answer as an outcome:
 * 2xx and client errors are the line's result; a used-up daily quota pauses the batch; no slot in
 * time or a rate limit tries again later at no cost; an engine failure tries again until
 * `maxAttempts`, then is the line's result.
 */
export class PipelineLineRunner implements LineRunner {
  constructor(
    private readonly app: Hono<OriginEnv>,
    private readonly maxAttempts: number,
  ) {}

  async run(line: ClaimedLine, signal: AbortSignal): Promise<LineOutcome> {
    const requestId = `req_batch_${line.batchId.slice(-12)}_${line.idx}_${line.attempts}`;
    const tenant = { id: line.tenant, via: line.via, ...(line.models.length ? { models: line.models } : {}), ...(line.country ? { country: line.country } : {}), ...(line.pop ? { pop: line.pop } : {}) };
    // Admission stops the line for an interactive request (admission.preemptBatch): aborted like a
    // shutdown, but told apart, so the runner gives it back to run again at once.
    const preempted = new AbortController();
    const res = await this.app.fetch(lineRequest(line.endpoint, line.body, tenant, requestId, AbortSignal.any([signal, preempted.signal]), () => preempted.abort()));
    const body = await res.text();
    // Stopped by this replica's shutdown (the pipeline answers 499): not the line's answer; it runs again.
    if (signal.aborted) return { kind: 'retry', afterMs: 0, countsAsAttempt: false };
    if (preempted.signal.aborted) return { kind: 'preempted' };
    const status = res.status;
    if (status < 400 || (status < 500 && status !== 429)) return { kind: 'answered', answer: { statusCode: status, requestId: res.headers.get('x-request-id') ?? requestId, body } };
    const code = res.headers.get(LINE_ERROR_CODE) ?? errorCode(body);
    const afterMs = Math.max(250, Number(res.headers.get('retry-after') ?? 1) * 1000);
    if (code === DAILY_QUOTA_CODE) return { kind: 'pause', afterMs };
    if (code !== undefined && NO_SLOT_CODES.has(code)) return { kind: 'retry', afterMs: Math.min(afterMs, 5_000), countsAsAttempt: false };
    if (line.attempts < this.maxAttempts) return { kind: 'retry', afterMs: Math.min(1_000 * 2 ** (line.attempts - 1), 30_000), countsAsAttempt: true };
    return { kind: 'answered', answer: { statusCode: status, requestId: res.headers.get('x-request-id') ?? requestId, body } };
  }
}

function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
