import { afterAll, beforeAll, describe } from 'vitest';
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
