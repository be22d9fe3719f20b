import type { IncomingMessage } from 'node:http';
import { parseDirectives, parseFaultHeader, stripDirectives, type Directives } from './directives.ts';
import { plannedCalls, structuredTokens, type AnswerRequest } from './answer.ts';
import type { GenJob } from './generation.ts';
import type { PromptChain } from './prompt-chain.ts';
import type { Env } from './lifecycle.ts';
import { fnv1a, looksSpanish, mulberry32 } from './text.ts';
import { faultKinds, type FaultSpec, type ModelConfig } from './types.ts';

/** Collects directives from the prompt text and the x-sim-* headers (header wins). */
export function directivesFor(req: IncomingMessage, text: string): Directives {
  const d = parseDirectives(text);
  const h = req.headers['x-sim-fault'];
  if (typeof h === 'string') parseFaultHeader(h, d);
  const t = req.headers['x-sim-tokens'];
  if (typeof t === 'string' && /^\d+$/.test(t)) d.tokens = Number(t);
  const c = req.headers['x-sim-call'];
  if (typeof c === 'string') d.call = c.split('|').map((n) => n.trim()).filter(Boolean);
  return d;
}

/** A directive's fault, unless it is a one-off whose key an earlier request already had. */
function oneOff(env: Env, f: FaultSpec | undefined): FaultSpec | undefined {
  if (f?.once === undefined) return f;
  if (env.firedOnce.has(f.once)) return undefined;
  env.firedOnce.add(f.once);
  return f;
}

/** Rate-based faults from SimOptions.faults, drawn from the simulator's seeded PRNG. */
export function rateFault(env: Env, tokens: number): FaultSpec | undefined {
  const rates = env.opts.faults;
  for (const kind of faultKinds) {
    const p = rates[kind];
    if (!p || env.rnd() >= p) continue;
    const after = Math.floor(env.rnd() * Math.max(1, tokens));
    switch (kind) {
      case 'stall':
        return { kind, after, ms: env.opts.faultStallMs || undefined };
      case 'slow-first-byte':
        return { kind, after: 0, ms: env.opts.faultSlowFirstByteMs };
      case 'status':
        return { kind, after: 0, status: env.rnd() < 0.5 ? 500 : 503 };
      default:
        return { kind, after };
    }
  }
  return undefined;
}

/** What the request asks for beyond prose; `topLogprobs` undefined = no logprobs. */
export interface JobShape extends AnswerRequest {
  topLogprobs: number | undefined;
  /** Stop sequences; none when absent. */
  stop?: readonly string[] | undefined;
}

const noShape: JobShape = { tools: undefined, format: undefined, userTurn: true, topLogprobs: undefined };

export function planJob(
  env: Env,
  cfg: ModelConfig,
  d: Directives,
  promptText: string,
  prompt: PromptChain,
  numPredict: number | undefined,
  seed: number | undefined,
  think: boolean,
  shape: JobShape = noShape,
): GenJob {
  const clean = stripDirectives(promptText);
  const s = (seed ?? fnv1a(clean)) ^ env.opts.seed;
  const [lo, hi] = cfg.outputTokens;
  const natural = d.tokens ?? lo + Math.floor(mulberry32(s)() * (hi - lo + 1));
  return {
    seed: s >>> 0,
    spanish: looksSpanish(clean),
    prompt,
    naturalTokens: natural,
    numPredict,
    think,
    fault: oneOff(env, d.fault) ?? rateFault(env, natural),
    calls: plannedCalls(cfg, d, shape, s >>> 0, ++env.seq),
    structured: structuredTokens(shape.format, s >>> 0),
    topLogprobs: shape.topLogprobs,
    harmony: cfg.toolCallParser === 'harmony',
    // Ollama drops empty stops (an empty one would match at once).
    stop: (shape.stop ?? []).filter((s) => s !== ''),
  };
}

/** Ollama's 500/503 texts for an injected status fault. */
export function statusFaultMessage(f: FaultSpec): string {
  if (f.message) return f.message;
  if (f.status === 503) return 'server busy, please try again.  maximum pending requests exceeded';
  if (f.status === 404) return 'model not found';
  return 'llama runner process has terminated: exit status 2';
}
