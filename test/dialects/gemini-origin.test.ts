import { afterAll, beforeAll, describe } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { geminiClientSuite } from './gemini-client.suite.ts';

let stack: OriginStack;
beforeAll(async () => {
  // Short keepalives, so that a stalled engine's silence is filled with them.
  stack = await startOriginStack({ sim: { timeScale: 0.05 }, origin: { stream: { keepaliveMs: 100 } } });
});
afterAll(() => stack?.close());

describe('official @google/genai against the origin (Ollama upstream)', () => {
  geminiClientSuite(() => ({ baseURL: stack.origin.url, apiKey: 'unused-in-auth-mode-none', model: 'gpt-oss:20b' }));
});
