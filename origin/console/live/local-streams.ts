import type { RequestObserver, RequestRecord } from '../../core/record.ts';
import { recordedModel } from '../../core/record.ts';
import type { LiveStream, RecentStats } from './types.ts';

interface Sample {
  endedAt: number;
  ttftMs: number | null;
  tpotMs: number | null;
  completionTokens: number;
  errorClass: string | null;
}

const WINDOW_MS = 5 * 60_000;

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * This replica's streams in flight and the last five minutes of ended ones, kept from the request
 * records (ids, tenant, model, timings). Listeners hear of every start, first byte and end.
 */
export class LocalStreams implements RequestObserver {
  private readonly open = new Set<RequestRecord>();
  private samples: Sample[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(readonly replica: string) {}

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  onStart(rec: RequestRecord): void {
    this.open.add(rec);
    this.changed();
  }

  onFirstByte(rec: RequestRecord): void {
    if (this.open.has(rec)) this.changed();
  }

  onEnd(rec: RequestRecord): void {
    const was = this.open.delete(rec);
    if (!rec.stream && rec.publicModel === undefined) return;
    const ended = rec.endedAt ?? Date.now();
    const tokens = rec.completionTokens ?? 0;
    const ttft = rec.firstByteAt === undefined ? null : rec.firstByteAt - rec.receivedAt;
    const tpot = rec.firstByteAt !== undefined && tokens > 1 ? (ended - rec.firstByteAt) / (tokens - 1) : null;
    const errorClass = rec.outcome && rec.outcome !== 'ok' && rec.outcome !== 'client_cancelled' ? `${rec.outcome}${rec.errorCode ? `:${rec.errorCode}` : ''}` : null;
    this.samples.push({ endedAt: ended, ttftMs: ttft, tpotMs: tpot, completionTokens: tokens, errorClass });
    if (was) this.changed();
  }

  streams(now = Date.now()): LiveStream[] {
    void now;
    return [...this.open].map((r) => ({
      id: r.requestId,
      replica: this.replica,
      tenant: r.tenant.id,
      model: recordedModel(r) ?? null,
      route: r.route,
      upstream: r.upstream ?? null,
      state: r.firstByteAt !== undefined ? 'streaming' : r.admittedAt !== undefined ? 'starting' : 'queued',
      since: r.receivedAt,
    }));
  }

  stats(now = Date.now()): RecentStats {
    const from = now - WINDOW_MS;
    this.samples = this.samples.filter((s) => s.endedAt >= from);
    const ttft = this.samples.flatMap((s) => (s.ttftMs === null ? [] : [s.ttftMs])).sort((a, b) => a - b);
    const tpot = this.samples.flatMap((s) => (s.tpotMs === null ? [] : [s.tpotMs])).sort((a, b) => a - b);
    const errors: Record<string, number> = {};
    let tokens = 0;
    for (const s of this.samples) {
      tokens += s.completionTokens;
      if (s.errorClass) errors[s.errorClass] = (errors[s.errorClass] ?? 0) + 1;
    }
    return {
      windowS: WINDOW_MS / 1000,
      streams: this.samples.length,
      ttftP50: quantile(ttft, 0.5),
      ttftP95: quantile(ttft, 0.95),
      tpotP50: quantile(tpot, 0.5),
      tpotP95: quantile(tpot, 0.95),
      tokensPerS: tokens / (WINDOW_MS / 1000),
      errors,
    };
  }
}
