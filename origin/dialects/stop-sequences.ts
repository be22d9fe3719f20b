/**
 * Stop sequences the origin matches itself, for clients told which one ended the answer
 * (Anthropic's `stop_reason: "stop_sequence"` with `stop_sequence`). An engine told the stops
 * (Ollama's `stop`) strips the match and ends as it ends on its own, so its answer cannot say
 * that a stop was hit, let alone which: the origin keeps the stops from the engine and matches
 * the answer's text as it streams, holding back only what could still be the start of a stop.
 * On a match the answer ends there and the engine is stopped; having never finished, it gives no
 * counts, so the usage is estimated (the prompt from its size, one token per chunk it sent).
 */
import type { OpenedUpstream } from '../pipeline/open-upstream.ts';
import type { GenerationContext, GenerationEvent, GenerationResult, ToolCall, TokenLogprob, Usage } from '../core/generation.ts';
import type { OnEvent } from '../upstream/dialects/dialect.ts';

/** Matches stops in text fed piece by piece; the first stop to complete wins. */
export class StopScanner {
  private held = '';

  constructor(private readonly stops: readonly string[]) {}

  /** A piece of the answer: what can be released now, and the stop it completed, if any. */
  push(text: string): { text: string; stop?: string } {
    const all = this.held + text;
    let best: { at: number; end: number; stop: string } | undefined;
    for (const stop of this.stops) {
      const at = all.indexOf(stop);
      if (at < 0) continue;
      const end = at + stop.length;
      if (!best || end < best.end || (end === best.end && at < best.at)) best = { at, end, stop };
    }
    if (best) {
      this.held = '';
      return { text: all.slice(0, best.at), stop: best.stop };
    }
    const keep = this.heldBack(all);
    this.held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep) };
  }

  /** The answer ended on its own: what was held back. */
  flush(): string {
    const out = this.held;
    this.held = '';
    return out;
  }

  /** The length of the longest end of `text` that is a proper start of a stop. */
  private heldBack(text: string): number {
    let keep = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, text.length); n > keep; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    return keep;
  }
}

/** The stops worth matching: an empty one would end every answer before it began. */
export function usableStops(stops: readonly string[] | undefined): string[] {
  return (stops ?? []).filter((s) => s !== '');
}

export interface StopMatch {
  /** The events as the client's writer gets them. */
  on: OnEvent;
  /** Whether a stop ended the answer (the engine is still generating and must be stopped). */
  hit(): boolean;
}

/**
 * Wraps a stream's event sink: text passes through the scanner; on a match the text before it
 * goes out, then the `done` that names the stop, and nothing after. `promptEstimate` stands in
 * for the engine's prompt count the cut answer never gets.
 */
export function matchStops(stops: readonly string[], out: OnEvent, promptEstimate: number): StopMatch {
  const scanner = new StopScanner(stops);
  let chunks = 0;
  let stopped = false;
  const deltaOf = (text: string, thinking?: string, toolCalls?: ToolCall[], logprobs?: TokenLogprob[]): GenerationEvent => ({ type: 'delta', text, thinking, toolCalls, logprobs });
  const on: OnEvent = (ev) => {
    if (stopped) return;
    if (ev.type === 'done') {
      const rest = scanner.flush();
      if (rest) out(deltaOf(rest));
      out(ev);
      return;
    }
    chunks++;
    const r = ev.text ? scanner.push(ev.text) : { text: '' };
    // A tool call ends any text that was held back: it cannot complete a stop across the call.
    const held = !r.stop && ev.toolCalls?.length ? scanner.flush() : '';
    const text = r.text + held;
    if (text || ev.thinking || ev.toolCalls?.length || ev.logprobs?.length) {
      out(deltaOf(text, ev.thinking, r.stop ? undefined : ev.toolCalls, ev.logprobs));
    }
    if (r.stop === undefined) return;
    stopped = true;
    const usage: Usage = { promptTokens: promptEstimate, completionTokens: chunks };
    out({ type: 'done', finish: 'stop', stopSequence: r.stop, usage });
  };
  return { on, hit: () => stopped };
}

/**
 * A whole answer, read from the engine's stream so that it can end at a stop (the engine is not
 * told the stops: asked for a whole answer it would generate past them). The caller lets go of
 * the body, which stops the engine when the answer ended at a stop.
 */
export function resultUntilStop(opened: OpenedUpstream, ctx: GenerationContext, stops: readonly string[], promptEstimate: number): Promise<GenerationResult> {
  const decoder = opened.upstream.dialect.decoder(opened, ctx);
  const result: GenerationResult = { text: '', toolCalls: [], finish: 'stop', usage: { promptTokens: 0, completionTokens: 0 } };
  let done = false;
  const match = matchStops(
    stops,
    (ev) => {
      if (ev.type === 'done') {
        done = true;
        result.finish = ev.finish;
        result.usage = ev.usage;
        if (ev.stopSequence !== undefined) result.stopSequence = ev.stopSequence;
        return;
      }
      result.text += ev.text;
      if (ev.thinking) result.thinking = (result.thinking ?? '') + ev.thinking;
      if (ev.toolCalls) result.toolCalls.push(...ev.toolCalls);
      if (ev.logprobs) (result.logprobs ??= []).push(...ev.logprobs);
    },
    promptEstimate,
  );
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err === undefined) resolve(result);
      else reject(err);
    };
    opened.res.body.consume({
      data(bytes) {
        if (settled) return;
        try {
          if (decoder.chunk(bytes, match.on) || done) settle();
        } catch (err) {
          settle(err);
        }
      },
      end() {
        if (settled) return;
        try {
          decoder.end(match.on);
          settle();
        } catch (err) {
          settle(err);
        }
      },
      error(err) {
        if (!settled) settle(decoder.fail(err));
      },
    });
  });
}
