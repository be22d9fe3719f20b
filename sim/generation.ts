import type { SimToolCall } from './answer.ts';
import type { RequestLife } from './lifecycle.ts';
import type { PromptChain } from './prompt-chain.ts';
import { LogprobSource } from './logprobs.ts';
import { sleep } from './scheduler.ts';
import { StopFilter } from './stop.ts';
import { ProseGenerator } from './text.ts';
import type { FaultSpec } from './types.ts';

/** Final numbers of a generation, durations already in simulated ns. */
export interface Final {
  doneReason: 'stop' | 'length';
  promptTokens: number;
  /** Prompt tokens the prefix cache already held (not computed again). */
  cachedTokens: number;
  evalCount: number;
  totalNs: number;
  loadNs: number;
  promptEvalNs: number;
  evalNs: number;
}

/** Where a generation's output goes: one per wire format (native ndjson/json, OpenAI SSE/json). */
export interface Sink {
  /**
   * Writes one token (`logprob`: one api.Logprob as JSON, when asked for); false means the socket
   * is backed up (wait for drain). An empty text with a logprob is a token the parser held back
   * (part of a tool call): Ollama still sends its logprob, in a chunk with empty content.
   */
  token(text: string, thinking: boolean, logprob?: string): boolean;
  /** Tool calls the parser completed mid-stream (template parser), in their own chunk. */
  toolCalls(calls: readonly SimToolCall[], logprob?: string): boolean;
  /** The final line; `calls` are the ones it carries (harmony delivers its call there). */
  finish(f: Final, calls: readonly SimToolCall[]): void;
  /**
   * Ollama's token-repeat abort: the runner stops, the handler's channel closes, and a 200 that
   * just ends (no done line, no [DONE]) is all the client gets.
   */
  truncated(): void;
  /** An error: before the first byte a status + body, after it the format's mid-stream error. */
  fail(status: number, message: string): void;
  /** A line that is not valid for the format. */
  malformed(): void;
}

export interface GenJob {
  seed: number;
  spanish: boolean;
  /** The prompt as the prefix cache sees it (its `tokens` are the prompt's count). */
  prompt: PromptChain;
  /** Answer length if nothing cuts it short. */
  naturalTokens: number;
  /** options.num_predict / max_tokens; undefined or negative = no limit. */
  numPredict: number | undefined;
  think: boolean;
  fault: FaultSpec | undefined;
  /** Tool calls to make instead of prose (after any thinking). */
  calls: SimToolCall[];
  /** Structured output tokens (a `format` was given) instead of prose. */
  structured: string[] | undefined;
  /** Logprobs per token with this many alternatives; undefined = not asked for. */
  topLogprobs: number | undefined;
  /** Harmony parser: the call is held for the final line. */
  harmony: boolean;
  /** Stop sequences (options.stop / `stop`), applied as Ollama's runner does (sim/stop.ts). */
  stop: readonly string[];
}

/** Prompt tokens per prefill step (Ollama's default num_batch). */
const prefillBatch = 512;

/** The same token this many times (after the first) makes Ollama abort the prediction. */
const repeatLimit = 30;

export const defaultRunError = 'an error was encountered while running the model: unexpected EOF';

/**
 * Prefill then decode on timers. Tokens whose due time has passed are written in one tick (each
 * as its own line), so decode rates above timer resolution stay exact at small timeScales.
 */
export async function runGeneration(life: RequestLife, job: GenJob, sink: Sink, admittedAt: number): Promise<'done' | 'failed' | 'gone' | 'reset'> {
  const cfg = life.cfg;
  const stats = life.env.stats;
  life.startCompute();
  life.phase = 'prefill';
  // Only the tokens the prefix cache does not hold are computed; prompt_eval_count still counts
  // the whole prompt and prompt_eval_duration only this work, as Ollama reports a cache hit.
  const hold = life.lease?.cache;
  const cachedTokens = hold?.cachedTokens ?? 0;
  stats.prefill(cfg.name, job.prompt.tokens, job.prompt.tokens - cachedTokens);
  life.env.vllm?.prompt(cfg.name, job.prompt.tokens, cachedTokens);
  // prompt_eval_duration is the modeled work, not the elapsed time: the sim's own event-loop lag
  // (a busy test machine delays a 1 ms timer by 10+ ms) is not GPU time, and at small timeScales
  // it would read as hundreds of simulated ms on a one-token cache hit.
  let prefillRealMs = 0;
  try {
    await sleep(life.realMs(cfg.baseLatencyMs), life.signal);
    // In batches, as the runner feeds the prompt (num_batch), each paced at the box's load then.
    life.prefilling(true);
    for (let left = job.prompt.tokens - cachedTokens; left > 0; left -= prefillBatch) {
      const batchMs = life.realMs((Math.min(left, prefillBatch) / cfg.prefillTokensPerSec) * 1000);
      prefillRealMs += batchMs;
      await sleep(batchMs, life.signal);
    }
    life.prefilling(false);
  } catch {
    return 'gone';
  }
  hold?.filled();
  const decodeStart = performance.now();
  life.phase = 'streaming';

  // Prose: `think` spends up to 30% of the answer reasoning. Calls and structured output are
  // their own length, after the same reasoning.
  const body = job.calls.length ? job.calls.reduce((n, c) => n + c.tokens.length, 0) : job.structured?.length;
  const natural = job.naturalTokens;
  let total = body === undefined ? natural : (job.think ? Math.min(Math.floor(natural * 0.3), 40) : 0) + body;
  let doneReason: Final['doneReason'] = 'stop';
  if (job.numPredict !== undefined && job.numPredict >= 0 && job.numPredict < total) {
    total = job.numPredict;
    doneReason = 'length';
  }
  const thinkTokens = !job.think ? 0 : body === undefined ? Math.min(Math.floor(total * 0.3), 40) : Math.min(Math.floor(natural * 0.3), 40);
  const fault = job.fault;
  const faultAt = fault ? Math.min(fault.after, total) : -1;
  let faultFired = false;
  let repeatsLeft = -1;
  const prose = new ProseGenerator(job.seed, job.spanish);
  const thoughts = new ProseGenerator(job.seed ^ 0x5bd1e995, job.spanish);
  const lp = job.topLogprobs === undefined ? undefined : new LogprobSource(job.seed, job.topLogprobs);
  // Call tokens: which call each belongs to, and whether it completes that call.
  const held: SimToolCall[] = [];
  let call = 0;
  let callToken = 0;
  const stops = job.stop.length ? new StopFilter(job.stop) : undefined;
  /** A stop sequence ended the answer. */
  let stopped = false;
  const write = (pieces: readonly { text: string; thinking: boolean; logprob: string | undefined }[]): boolean => {
    let ok = true;
    for (const p of pieces) ok = sink.token(p.text, p.thinking, p.logprob) && ok;
    return ok;
  };
  const say = (text: string, thinking: boolean, logprob: string | undefined): boolean => {
    if (!stops) return sink.token(text, thinking, logprob);
    const { out, hit } = stops.push({ text, thinking, logprob });
    stopped = hit;
    return write(out);
  };
  const emit = (i: number): boolean => {
    if (i < thinkTokens) {
      const t = thoughts.next();
      return say(t, true, lp?.next(t));
    }
    if (job.structured) {
      const t = job.structured[i - thinkTokens] ?? '';
      return say(t, false, lp?.next(t));
    }
    const c = job.calls[call];
    if (!c) {
      const t = prose.next();
      return say(t, false, lp?.next(t));
    }
    const piece = lp?.next(c.tokens[callToken] ?? '');
    if (++callToken < c.tokens.length) return piece === undefined ? true : sink.token('', false, piece);
    call++;
    callToken = 0;
    if (job.harmony) {
      held.push(c);
      return piece === undefined ? true : sink.token('', false, piece);
    }
    return sink.toolCalls([c], piece);
  };
  const perTokenSimMs = 1000 / cfg.decodeTokensPerSec;

  return new Promise((resolve) => {
    let i = 0;
    let due = decodeStart;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (r: 'done' | 'failed' | 'gone' | 'reset') => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      life.signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = () => settle('gone');
    life.signal.addEventListener('abort', onAbort, { once: true });

    const tick = (): void => {
      timer = undefined;
      if (settled) return;
      const now = performance.now();
      while (due <= now) {
        if (i === faultAt && !faultFired && fault && !stopped) {
          faultFired = true;
          stats.fault(fault.kind);
          switch (fault.kind) {
            case 'error':
              sink.fail(500, fault.message ?? defaultRunError);
              return settle('failed');
            case 'reset':
              life.selfReset = true;
              dropConnection(life);
              return settle('reset');
            case 'stall':
              if (!fault.ms) return; // forever: only the client leaving ends it
              due += fault.ms * life.env.opts.timeScale;
              continue;
            case 'malformed':
              sink.malformed();
              break;
            case 'repeat':
              repeatsLeft = repeatLimit + 1;
              break;
            default:
              break;
          }
        }
        if (repeatsLeft >= 0) {
          if (repeatsLeft === 0) {
            sink.truncated();
            return settle('failed');
          }
          repeatsLeft--;
          const ok = sink.token(' the', false, lp?.next(' the'));
          due += life.realMs(perTokenSimMs);
          if (!ok) {
            life.res.once('drain', tick);
            return;
          }
          continue;
        }
        if (i >= total || stopped) {
          const end = performance.now();
          if (stops && !stopped) write(stops.flush());
          sink.finish({
            doneReason: stopped ? 'stop' : doneReason,
            promptTokens: job.prompt.tokens,
            cachedTokens,
            // Real Ollama also counts the end-of-turn token it generated but never sent (one more
            // on a natural stop); here eval_count is what was sent, which the rest of the suite's
            // arithmetic builds on (sim/README.md, known differences).
            evalCount: stopped ? i : total,
            totalNs: life.simNs(end - life.t0),
            loadNs: life.simNs(admittedAt - life.t0),
            promptEvalNs: life.simNs(prefillRealMs),
            evalNs: life.simNs(end - decodeStart),
          }, held);
          return settle('done');
        }
        const ok = emit(i);
        // The vLLM persona's latency histograms, in simulated seconds.
        if (life.env.vllm) {
          if (i === 0) life.env.vllm.firstToken(cfg.name, life.simNs(performance.now() - life.t0) / 1e9);
          else life.env.vllm.interToken(cfg.name, perTokenSimMs / 1000);
        }
        i++;
        life.tokensSent = i;
        due += life.realMs(perTokenSimMs);
        if (!ok) {
          // Go's Write blocks on a full socket; so do we.
          life.res.once('drain', tick);
          return;
        }
      }
      timer = setTimeout(tick, due - now);
    };
    tick();
  });
}

/**
 * Closes the connection mid-body, after the tokens already written have reached the kernel, so the
 * client gets exactly N tokens and then a connection that ends without the final chunk.
 */
export function dropConnection(life: RequestLife): void {
  const sock = life.res.socket;
  if (!sock || sock.destroyed) return;
  sock.write('', () => sock.destroy());
}
