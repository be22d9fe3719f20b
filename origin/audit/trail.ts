import type { Logger } from 'pino';
import type { RequestObserver, RequestRecord } from '../core/record.ts';
import { toAuditRecord, type AuditRecord } from './audit-record.ts';
import { toOperatorRecord, type OperatorEvent, type OperatorRecord } from './operator-record.ts';
import type { AuditConfig } from './config.ts';
import { policyFor, type ResolvedPolicy } from './policy.ts';
import { promptDigest, promptOf } from './prompt-digest.ts';
import type { AuditSink } from './sink.ts';
import { MemoByKey } from '../../shared/memo-by-key.ts';

/** What the metrics see of the trail (sink failures are an alert). */
export interface AuditEvents {
  written?(sink: string, records: number, seconds: number): void;
  failed?(sink: string, err: Error): void;
  dropped?(sink: string, records: number): void;
}

/** Content logging keeps at most this much completion text per request. */
const MAX_CONTENT_BYTES = 1024 * 1024;

interface SinkQueue {
  sink: AuditSink;
  lines: string[];
  /** Writes to one sink run one after another, in order: each flush appends one attempt. */
  chain: Promise<void>;
}

/**
 * The audit observer: one record per request, queued at the end of the request and written to
 * every sink once per batch window (default 1 s), so a crash loses at most one window of
 * records. A failing sink keeps its batches (bounded) and retries them on the next window
 * without holding up the others.
 */
export class AuditTrail implements RequestObserver {
  private fresh: Array<AuditRecord | OperatorRecord> = [];
  private readonly queues: SinkQueue[];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly decoder = new TextDecoder();
  /** Each tenant's policy, resolved once (the config is fixed for the trail's life, as capturesAnyContent assumes). */
  private readonly policies = new MemoByKey<ResolvedPolicy>((tenant) => policyFor(this.cfg, tenant));
  /** Whether any policy enables content logging (otherwise no frame is ever looked at). */
  readonly capturesAnyContent: boolean;

  constructor(
    private readonly cfg: AuditConfig,
    sinks: AuditSink[],
    private readonly log: Logger,
    private readonly events: AuditEvents = {},
  ) {
    this.queues = sinks.map((sink) => ({ sink, lines: [], chain: Promise.resolve() }));
    this.capturesAnyContent = cfg.policy.contentLogging === true || Object.values(cfg.tenants).some((t) => t.contentLogging === true);
    if (this.capturesAnyContent) this.onFrame = (rec, _gapMs, frame) => void rec.capturedFrames?.push(frame);
  }

  get sinks(): readonly AuditSink[] {
    return this.queues.map((q) => q.sink);
  }

  async open(): Promise<void> {
    for (const q of this.queues) await q.sink.open();
    this.timer = setInterval(() => void this.flush(), this.cfg.batchWindowMs);
    this.timer.unref();
  }

  capturesContent(rec: RequestRecord): boolean {
    return this.capturesAnyContent && this.policyOf(rec.tenant.id).contentLogging;
  }

  onStart(rec: RequestRecord): void {
    const policy = this.policyOf(rec.tenant.id);
    // The body is read at the end only for the digest or the logged prompt. Otherwise the stream
    // need not keep it (a whole conversation, parsed) for as long as it runs.
    if (!policy.promptDigest && !policy.contentLogging) rec.requestBody = undefined;
    if (rec.stream && this.capturesContent(rec)) rec.capturedFrames = [];
  }

  private policyOf(tenant: string): ResolvedPolicy {
    return this.policies.get(tenant);
  }

  /** Only defined when some policy logs content, so streams of everyone else skip it entirely. */
  readonly onFrame?: (rec: RequestRecord, gapMs: number, frame: Uint8Array) => void;

  onEnd(rec: RequestRecord): void {
    const r = toAuditRecord(rec, this.cfg);
    const policy = this.policyOf(rec.tenant.id);
    if (policy.promptDigest) {
      const d = promptDigest(rec.requestBody);
      if (d) r.promptDigest = d;
    }
    if (policy.contentLogging) {
      const completion = this.completionOf(rec);
      r.content = { prompt: promptOf(rec.requestBody) ?? null, ...(completion !== undefined ? { completion } : {}) };
    }
    rec.capturedFrames = undefined;
    this.fresh.push(r);
  }

  /** An operator's action in the console: written in the same batches, files and chain as requests. */
  operator(e: OperatorEvent): void {
    this.fresh.push(toOperatorRecord(e, this.cfg));
  }

  private completionOf(rec: RequestRecord): string | undefined {
    if (rec.capturedBody !== undefined) return rec.capturedBody.slice(0, MAX_CONTENT_BYTES);
    const frames = rec.capturedFrames;
    if (!frames) return undefined;
    let out = '';
    for (const f of frames) {
      out += this.decoder.decode(f, { stream: true });
      if (out.length > MAX_CONTENT_BYTES) return out.slice(0, MAX_CONTENT_BYTES);
    }
    return out + this.decoder.decode();
  }

  /** Writes everything queued so far to every sink; resolves when each sink has answered. */
  flush(): Promise<void> {
    if (this.fresh.length > 0) {
      const batch = this.fresh;
      this.fresh = [];
      const lines = new Array<string>(batch.length);
      for (let i = 0; i < batch.length; i++) lines[i] = JSON.stringify(batch[i]);
      for (const q of this.queues) {
        for (const l of lines) q.lines.push(l);
        const over = q.lines.length - this.cfg.maxPendingRecords;
        if (over > 0) {
          q.lines.splice(0, over);
          this.events.dropped?.(q.sink.name, over);
          this.log.error({ sink: q.sink.name, dropped: over }, 'audit: sink has failed for too long; oldest records dropped');
        }
      }
    }
    return Promise.all(this.queues.map((q) => (q.chain = q.chain.then(() => this.drain(q))))).then(() => {});
  }

  private async drain(q: SinkQueue): Promise<void> {
    if (q.lines.length === 0) return;
    const batch = q.lines;
    q.lines = [];
    const t0 = performance.now();
    try {
      await q.sink.write(batch);
      this.events.written?.(q.sink.name, batch.length, (performance.now() - t0) / 1000);
    } catch (err) {
      q.lines = batch.concat(q.lines);
      this.events.failed?.(q.sink.name, err as Error);
      this.log.error({ sink: q.sink.name, err: (err as Error).message, pending: q.lines.length }, 'audit: sink write failed; the batch is kept and retried');
    }
  }

  /** Records waiting for a sink (for tests and shutdown logs). */
  pending(): number {
    return this.fresh.length + Math.max(0, ...this.queues.map((q) => q.lines.length));
  }

  /** Final flush (one retry for a sink that fails it), then seal and close every sink. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.queues.some((q) => q.lines.length > 0)) await this.flush();
    for (const q of this.queues) {
      if (q.lines.length > 0) this.log.error({ sink: q.sink.name, lost: q.lines.length }, 'audit: records not written at shutdown');
      try {
        await q.sink.close();
      } catch (err) {
        this.events.failed?.(q.sink.name, err as Error);
        this.log.error({ sink: q.sink.name, err: (err as Error).message }, 'audit: sink close failed');
      }
    }
  }
}
