import type { TenantContext } from '../types.ts';

export type Outcome = 'ok' | 'client_cancelled' | 'upstream_error' | 'rejected' | 'error';

/**
 * Metadata of one request as it moves through the origin. Never holds prompt or completion
 * text: audit, metrics and usage accounting all read this record and nothing else.
 */
export interface RequestRecord {
  requestId: string;
  route: string;
  tenant: TenantContext;
  stream: boolean;
  publicModel?: string;
  upstreamModel?: string;
  upstream?: string;
  receivedAt: number;
  /** When the request was admitted to the upstream (after any queue wait). */
  admittedAt?: number;
  firstByteAt?: number;
  endedAt?: number;
  status?: number;
  outcome?: Outcome;
  errorCode?: string | null;
  errorMessage?: string;
  promptTokens?: number;
  completionTokens?: number;
  bytesIn: number;
  bytesOut: number;
  keepalives: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** Observers see each request once it has ended (audit sink, metrics, usage accounting). */
export interface RequestObserver {
  onStart?(rec: RequestRecord): void;
  onFirstByte?(rec: RequestRecord): void;
  onEnd?(rec: RequestRecord): void;
}

export class Observers {
  private readonly list: RequestObserver[] = [];
  add(o: RequestObserver): void {
    this.list.push(o);
  }
  start(rec: RequestRecord): void {
    for (const o of this.list) o.onStart?.(rec);
  }
  firstByte(rec: RequestRecord): void {
    for (const o of this.list) o.onFirstByte?.(rec);
  }
  /** Called exactly once per request; later calls are ignored so no request is counted twice. */
  end(rec: RequestRecord, outcome: Outcome, status: number, err?: { code: string | null; message: string }): void {
    if (rec.endedAt !== undefined) return;
    rec.endedAt = Date.now();
    rec.outcome = outcome;
    rec.status = status;
    if (err) {
      rec.errorCode = err.code;
      rec.errorMessage = err.message;
    }
    for (const o of this.list) {
      try {
        o.onEnd?.(rec);
      } catch {
        // An observer failure must never break the response; each sink reports its own errors.
      }
    }
  }
}
