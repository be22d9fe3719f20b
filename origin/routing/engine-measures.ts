import type { RequestObserver, RequestRecord } from '../pipeline/record.ts';

/** One request as the front door measured it, on one engine and model. */
export interface Measurement {
  requestId: string;
  upstream: string;
  model: string;
  /** Admission to the first byte sent (scheduling, model load, prefill), ms. */
  ttftMs: number | undefined;
  /** Time waiting in admission for a slot, ms. */
  queueMs: number | undefined;
  /** Admission to the last byte: how long the request held its slot, ms. */
  serviceMs: number;
  promptTokens: number | undefined;
  promptEvalMs: number | undefined;
  completionTokens: number | undefined;
  evalMs: number | undefined;
  loadMs: number | undefined;
  /** Share of the prompt the engine did not have to evaluate (its cache), 0..1; undefined when not judged. */
  reuse: number | undefined;
  /** The engine loaded the model for this request (load time over routing.coldLoadMs). */
  coldLoad: boolean;
}

/** What the front door has learnt of one engine serving one model (moving averages). */
export interface EngineFigures {
  /** Prefill speed of a prompt the engine has not seen (its cold rate), tokens/s. */
  prefillTokensPerSecond: number | undefined;
  decodeTokensPerSecond: number | undefined;
  ttftMs: number | undefined;
  queueMs: number | undefined;
  serviceMs: number | undefined;
  /** Mean share of prompts found in the engine's cache. */
  reuse: number | undefined;
  requests: number;
  coldLoads: number;
}

/** Prompts shorter than this say little about prefill speed (fixed costs dominate). */
const MIN_PROMPT_TOKENS = 32;
/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;
const ewma = (prev: number | undefined, x: number, a = ALPHA) => (prev === undefined ? x : prev + a * (x - prev));

/** The running figures: rates kept as ms per token (what is averaged), given out as tokens/s. */
type Acc = Omit<EngineFigures, 'prefillTokensPerSecond' | 'decodeTokensPerSecond'> & {
  /** ms per prompt token of a prefill that found nothing in the cache. */
  coldMsPerToken: number | undefined;
  decodeMsPerToken: number | undefined;
};

/**
 * The engines measured by the front door (Ollama has no /metrics): every finished request's own
 * figures (the engine's final frame: prompt and decode counts and durations, load time; and the
 * origin's queue, first-byte and hold times) per engine and model. Cache reuse is judged by
 * time, not by count (Ollama reports the whole prompt as evaluated on a hit): the prompt's
 * evaluation time against the engine's cold rate for that many tokens. The cold rate is the
 * slow end of what the engine has shown: a prefill at least half as slow as it counts towards
 * it, a far faster one is a cache hit.
 */
export class EngineMeasures implements RequestObserver {
  private readonly figures = new Map<string, Acc>();
  private readonly listeners: Array<(m: Measurement) => void> = [];

  constructor(private readonly coldLoadMs: number) {}

  onMeasured(listener: (m: Measurement) => void): void {
    this.listeners.push(listener);
  }

  onEnd(rec: RequestRecord): void {
    if (rec.outcome !== 'ok' || rec.upstream === undefined || rec.upstreamModel === undefined || rec.admittedAt === undefined) return;
    const m = this.measure(rec);
    for (const l of this.listeners) l(m);
  }

  private acc(upstream: string, model: string): Acc {
    const key = `${upstream}\0${model}`;
    let a = this.figures.get(key);
    if (!a) {
      a = { coldMsPerToken: undefined, decodeMsPerToken: undefined, ttftMs: undefined, queueMs: undefined, serviceMs: undefined, reuse: undefined, requests: 0, coldLoads: 0 };
      this.figures.set(key, a);
    }
    return a;
  }

  private measure(rec: RequestRecord): Measurement {
    const a = this.acc(rec.upstream!, rec.upstreamModel!);
    const e = rec.engine ?? {};
    const admitted = rec.admittedAt!;
    const serviceMs = Math.max(0, (rec.endedAt ?? Date.now()) - admitted);
    // A whole (non-streamed) answer's first byte is its last: only streams show time to first token.
    const ttftMs = !rec.stream || rec.firstByteAt === undefined ? undefined : Math.max(0, rec.firstByteAt - admitted);
    const queueMs = rec.queuedAt === undefined ? undefined : Math.max(0, admitted - rec.queuedAt);
    const promptTokens = e.promptTokens ?? rec.promptTokens;
    const completionTokens = e.completionTokens ?? rec.completionTokens;
    let reuse: number | undefined;
    if (promptTokens !== undefined && promptTokens >= MIN_PROMPT_TOKENS) {
      if (e.cachedTokens !== undefined) reuse = Math.min(1, e.cachedTokens / promptTokens);
      if (e.promptEvalMs !== undefined) {
        const rate = e.promptEvalMs / promptTokens;
        const cold = a.coldMsPerToken;
        if (cold !== undefined) reuse ??= Math.min(1, Math.max(0, 1 - rate / cold));
        if (cold === undefined || rate > cold) a.coldMsPerToken = cold === undefined ? rate : (cold + rate) / 2;
        else if (rate >= cold / 2 && (e.cachedTokens ?? 0) === 0) a.coldMsPerToken = ewma(cold, rate);
      }
    }
    if (e.evalMs !== undefined && completionTokens !== undefined && completionTokens > 1) a.decodeMsPerToken = ewma(a.decodeMsPerToken, e.evalMs / completionTokens);
    if (ttftMs !== undefined) a.ttftMs = ewma(a.ttftMs, ttftMs);
    if (queueMs !== undefined) a.queueMs = ewma(a.queueMs, queueMs);
    a.serviceMs = ewma(a.serviceMs, serviceMs);
    if (reuse !== undefined) a.reuse = ewma(a.reuse, reuse);
    const coldLoad = e.loadMs !== undefined && e.loadMs > this.coldLoadMs;
    a.requests++;
    if (coldLoad) a.coldLoads++;
    return { requestId: rec.requestId, upstream: rec.upstream!, model: rec.upstreamModel!, ttftMs, queueMs, serviceMs, promptTokens, promptEvalMs: e.promptEvalMs, completionTokens, evalMs: e.evalMs, loadMs: e.loadMs, reuse, coldLoad };
  }

  /** Mean time a request of this model holds a slot on this engine, ms (undefined before the first). */
  serviceMs(upstream: string, model: string): number | undefined {
    return this.figures.get(`${upstream}\0${model}`)?.serviceMs;
  }

  /** The figures of one engine and model (undefined before its first finished request). */
  get(upstream: string, model: string): EngineFigures | undefined {
    const a = this.figures.get(`${upstream}\0${model}`);
    if (!a) return undefined;
    const perSecond = (msPerToken: number | undefined) => (msPerToken === undefined || msPerToken <= 0 ? undefined : 1000 / msPerToken);
    return {
      prefillTokensPerSecond: perSecond(a.coldMsPerToken),
      decodeTokensPerSecond: perSecond(a.decodeMsPerToken),
      ttftMs: a.ttftMs,
      queueMs: a.queueMs,
      serviceMs: a.serviceMs,
      reuse: a.reuse,
      requests: a.requests,
      coldLoads: a.coldLoads,
    };
  }

  /** Every engine and model measured so far. */
  all(): Array<{ upstream: string; model: string } & EngineFigures> {
    return [...this.figures.keys()].map((k) => {
      const [upstream, model] = k.split('\0') as [string, string];
      return { upstream, model, ...this.get(upstream, model)! };
    });
  }
}
