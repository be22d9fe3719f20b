/**
 * Prompts with a set token mean and spread. Synthetic prompts are words from a fixed vocabulary
 * (one word ≈ one token for the simulator's tokenizer and close to it for BPE on common English);
 * dataset prompts come from a JSONL file (`{"prompt"}`, `{"messages"}` or ShareGPT `{"conversations"}`).
 */
import { readFileSync } from 'node:fs';

export interface Prompt {
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  /** Approximate prompt tokens (words); the engine's own count wins when it reports one. */
  inputTokens: number;
  /** Answer length asked for (max_tokens / num_predict). */
  outputTokens: number;
}

// Same PRNG as the simulator's text, so two runs with one seed send the same prompts.
import { mulberry32 } from '../../sim/text.ts';
export { mulberry32 };

/** Uniform in mean × (1 ± spread), at least 1: bounded, unlike a normal draw, so no request is absurd. */
export function drawLength(rnd: () => number, mean: number, spread: number): number {
  return Math.max(1, Math.round(mean * (1 + spread * (2 * rnd() - 1))));
}

const WORDS =
  'the edge front door streams tokens from a model on a small box near the users while every request is counted signed and kept in the region it came from so latency stays low and data stays home'.split(
    ' ',
  );

export interface PromptSource {
  next(): Prompt;
}

export function syntheticPrompts(o: { inputTokens: number; inputSpread: number; outputTokens: number; outputSpread: number; seed: number; sim: boolean }): PromptSource {
  const rnd = mulberry32(o.seed);
  let n = 0;
  return {
    next() {
      const inputTokens = drawLength(rnd, o.inputTokens, o.inputSpread);
      const outputTokens = drawLength(rnd, o.outputTokens, o.outputSpread);
      // A per-request prefix defeats prompt caching, which would flatter TTFT.
      const words = [`req${n++}:`];
      for (let i = 1; i < inputTokens; i++) words.push(WORDS[Math.floor(rnd() * WORDS.length)]!);
      const content = words.join(' ') + (o.sim ? ` [[sim:tokens=${outputTokens}]]` : '');
      return { messages: [{ role: 'user', content }], inputTokens, outputTokens };
    },
  };
}

type DatasetLine = {
  prompt?: string;
  messages?: Prompt['messages'];
  conversations?: Array<{ from: string; value: string }>;
  output_tokens?: number;
};

/** Cycles through a JSONL dataset; output length from `output_tokens` or drawn around the mean. */
export function datasetPrompts(file: string, o: { outputTokens: number; outputSpread: number; seed: number; sim: boolean }): PromptSource {
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l !== '')
    .map(([l, line]) => {
      let d: DatasetLine;
      try {
        d = JSON.parse(l) as DatasetLine;
      } catch {
        throw new Error(`dataset ${file} line ${line}: not JSON (one object per line: {"prompt"}, {"messages"} or {"conversations"})`);
      }
      const messages: Prompt['messages'] | undefined = d.messages
        ? d.messages
        : d.prompt !== undefined
          ? [{ role: 'user', content: d.prompt }]
          : d.conversations?.find((c) => c.from === 'human')
            ? [{ role: 'user', content: d.conversations.find((c) => c.from === 'human')!.value }]
            : undefined;
      if (!messages) throw new Error(`dataset ${file} line ${line}: needs "prompt", "messages" or "conversations" with a "human" turn`);
      return { messages, outputTokens: d.output_tokens };
    });
  if (rows.length === 0) throw new Error(`dataset ${file} has no prompts`);
  const rnd = mulberry32(o.seed);
  let i = 0;
  return {
    next() {
      const row = rows[i++ % rows.length]!;
      const outputTokens = row.outputTokens ?? drawLength(rnd, o.outputTokens, o.outputSpread);
      const messages = row.messages.map((m) => ({ ...m }));
      const last = messages[messages.length - 1]!;
      if (o.sim) last.content += ` [[sim:tokens=${outputTokens}]]`;
      const inputTokens = messages.reduce((s, m) => s + m.content.split(/\s+/).filter(Boolean).length, 0);
      return { messages, inputTokens, outputTokens };
    },
  };
}
