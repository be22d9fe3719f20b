import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { anthropicClientSuite } from './anthropic-client.suite.ts';

let stack: OriginStack;
beforeAll(async () => {
  stack = await startOriginStack({ sim: { timeScale: 0.05 } });
});
afterAll(() => stack?.close());

describe('official @anthropic-ai/sdk against the origin (Ollama upstream)', () => {
  anthropicClientSuite(() => ({ baseURL: stack.origin.url, apiKey: 'unused-in-auth-mode-none', model: 'gpt-oss:20b' }));
});

describe('stop sequences the origin matches', () => {
  it('the engine, still generating past the stop, is stopped at once (streamed and whole)', async () => {
    const client = new Anthropic({ baseURL: stack.origin.url, apiKey: 'unused', maxRetries: 0 });
    const ask = { model: 'gpt-oss:20b', max_tokens: 4096, messages: [{ role: 'user' as const, content: 'Write a long story. [[sim:tokens=3000]]' }] };
    // The answer's first word is a stop it says early; without the cut the engine would go on for 3000 tokens.
    const first = await client.messages.create({ ...ask, max_tokens: 3 });
    const word = (first.content[0] as Anthropic.TextBlock).text.trim().split(' ')[1]!;
    for (const stream of [true, false]) {
      const cancelled = stack.sim.stats().cancelled;
      const m = stream ? await client.messages.stream({ ...ask, stop_sequences: [word] }).finalMessage() : await client.messages.create({ ...ask, stop_sequences: [word] });
      expect(m.stop_reason).toBe('stop_sequence');
      // The engine saw its request cancelled: its slot is free, not generating 3000 tokens.
      await expect.poll(() => stack.sim.stats().cancelled, { timeout: 5_000 }).toBe(cancelled + 1);
    }
  });
});
