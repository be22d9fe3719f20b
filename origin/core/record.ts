import type { PuertaError, UpstreamFault } from '../../shared/errors.ts';
import type { RouteEntry } from '../../shared/routes.ts';
import type { TenantContext } from './tenant.ts';
import type { EngineTimings } from './engine-timings.ts';
import { outcomeOf, type ClientEnding, type Outcome } from './outcome.ts';

export type { Outcome } from './outcome.ts';

/** What retrieval added to a request (origin/retrieval/): ids, scores and timings, never chunk text. */
export interface RetrievalSummary {
  collection: string;
  /** Chunks read from the index before dedup and the dynamic top-k. */
  candidates: number;
  citations: Array<{ id: number; document: string; chunk: string; score: number }>;
  tokensUsed: number;
  tokensSaved: { dedup: number; topK: number; budget: number };
  /** Embedding the question (slot wait included) and the search. */
  retrievalMs: number;
  searchMs: number;
  promptBuildMs: number;
}

/** What logs, audit and usage say for a model name no upstream lists and no alias names. */
export const UNLISTED_MODEL = '(unlisted)';

/**
 * The model name as logs, audit records and usage keys carry it. A name nobody serves is the
 * client's free text (it may be a prompt, or a fresh string per request to grow usage keys
 * without bound), so it is written as UNLISTED_MODEL; the client's own error still names it.
 */
export function recordedModel(rec: RequestRecord): string | undefined {
  if (rec.publicModel === undefined) return undefined;
  // Routed means served, whatever the cached lists said when the request arrived.
  return rec.modelKnown || rec.upstream !== undefined ? rec.publicModel : UNLISTED_MODEL;
}

/**
 * Metadata of one request as it moves through the origin. Holds no prompt or completion text of
 * its own (requestBody and captured* are the opt-in exceptions, read only by the audit trail):
 * audit, metrics and usage accounting all read this record and nothing else.
 */
export interface RequestRecord {
  requestId: string;
  /** The path as the client sent it. */
  route: string;
  /** The route table's entry for it; absent for a path no route serves. */
  routeEntry?: RouteEntry | undefined;
  tenant: TenantContext;
  stream: boolean;
  /** The model name the client sent, for its own answer; see recordedModel for what is written down. */
  publicModel?: string;
  /** The name is one this origin serves (an alias or a listed model), so it may leave the process. */
  modelKnown?: boolean;
  upstreamModel?: string;
  upstream?: string;
  /** The conversation it belongs to, as a digest (origin/routing/session-key.ts), when affinity routing is on. */
  session?: string;
  receivedAt: number;
  /** Admission class: set by the tenant's config or the client's header, else the route's default. */
  priority?: 'interactive' | 'batch';
  /** Stops this request to give its slot to an interactive one (a batch line; admission.preemptBatch). */
  preempt?: () => void;
  /** Set when a retrieval alias answered from a collection. */
  retrieval?: RetrievalSummary;
  /** When the request entered admission (queue wait = admittedAt - queuedAt). */
  queuedAt?: number;
  /** When the request was admitted to the upstream (after any queue wait). */
  admittedAt?: number;
  /** When the upstream's response headers arrived (engine scheduling, model load, prefill). */
  upstreamHeadersAt?: number;
  firstByteAt?: number;
  endedAt?: number;
  status?: number;
  outcome?: Outcome;
  errorCode?: string | null;
  errorMessage?: string;
  /** The error's type (rate_limit_error, overloaded_error…), for metrics that count by kind. */
  errorType?: PuertaError['type'];
  /** How the upstream failed, when it is the one at fault. */
  upstreamFault?: UpstreamFault;
  promptTokens?: number;
  completionTokens?: number;
  /** The engine's own account of its work (prefill, decode, load times), from its final frame. */
  engine?: EngineTimings;
  bytesIn: number;
  bytesOut: number;
  keepalives: number;
  /** performance.now() of the last content frame sent; Observers.frame keeps it (inter-token gaps). */
  lastFrameAt?: number;
  /**
   * The parsed request body, by reference. Never serialized or logged: the audit reads the prompt
   * from it only for a tenant whose policy enables a prompt digest or content logging.
   */
  requestBody?: unknown;
  /** Frames sent, kept only for a tenant whose policy enables content logging (else undefined). */
  capturedFrames?: Uint8Array[];
  /** A non-streamed response body, kept only for a tenant whose policy enables content logging. */
  capturedBody?: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  engine?: EngineTimings | undefined;
}

/** The engine's own token counts of a request: the one way they enter the record. */
export function chargeUsage(rec: RequestRecord, usage: Usage): void {
  rec.promptTokens = usage.promptTokens;
  rec.completionTokens = usage.completionTokens;
  if (usage.engine) rec.engine = usage.engine;
}

/** Observers see each request once it has ended (audit sink, metrics, usage accounting). */
export interface RequestObserver {
  /** A stream began (tenant known, before admission). */
  onStart?(rec: RequestRecord): void;
  onFirstByte?(rec: RequestRecord): void;
  /** Every content frame of a stream (hot path: no allocation); gapMs since the previous one, -1 for the first. */
  onFrame?(rec: RequestRecord, gapMs: number, frame: Uint8Array): void;
  /** Whether a non-streamed response body must be kept for this request (content logging). */
  capturesContent?(rec: RequestRecord): boolean;
  onEnd?(rec: RequestRecord): void;
}

export class Observers {
  private readonly list: RequestObserver[] = [];
  /** Only observers with onFrame, so a frame costs nothing when none listens. */
  private readonly frameList: Array<Required<Pick<RequestObserver, 'onFrame'>>> = [];
  add(o: RequestObserver): void {
    this.list.push(o);
    if (o.onFrame) this.frameList.push(o as Required<Pick<RequestObserver, 'onFrame'>>);
  }
  frame(rec: RequestRecord, frame: Uint8Array): void {
    const l = this.frameList;
    // The gap is only for those who listen: no clock read per frame when none does.
    if (l.length === 0) return;
    const now = performance.now();
    const gap = rec.lastFrameAt === undefined ? -1 : now - rec.lastFrameAt;
    rec.lastFrameAt = now;
    for (let i = 0; i < l.length; i++) l[i]!.onFrame(rec, gap, frame);
  }
  capturesContent(rec: RequestRecord): boolean {
    return this.list.some((o) => o.capturesContent?.(rec) === true);
  }
  start(rec: RequestRecord): void {
    for (const o of this.list) o.onStart?.(rec);
  }
  firstByte(rec: RequestRecord): void {
    for (const o of this.list) o.onFirstByte?.(rec);
  }
  /**
   * Called exactly once per request; later calls are ignored so no request is counted twice.
   * `status` is what the client got (200 for a stream that failed after its first byte); the
   * outcome is classified here, from the typed error, and nowhere else.
   */
  end(rec: RequestRecord, status: number, err?: PuertaError, clientEnded?: ClientEnding): void {
    if (rec.endedAt !== undefined) return;
    rec.endedAt = Date.now();
    rec.outcome = outcomeOf(status, err, clientEnded);
    rec.status = status;
    if (err) {
      rec.errorCode = err.code;
      // logMessage: records feed logs and sinks, which never get an engine's own text.
      rec.errorMessage = err.logMessage;
      rec.errorType = err.type;
      if (err.upstream) rec.upstreamFault = err.upstream;
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
