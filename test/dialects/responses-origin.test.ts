import { afterAll, beforeAll, describe } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { responsesClientSuite } from './responses-client.suite.ts';

let stack: OriginStack;
beforeAll(async () => {
  stack = await startOriginStack({ sim: { timeScale: 0.05 } });
});
afterAll(() => stack?.close());

describe('official openai client Responses API against the origin (Ollama upstream)', () => {
  responsesClientSuite(() => ({ baseURL: stack.origin.url, apiKey: 'unused-in-auth-mode-none', model: 'gpt-oss:20b' }));
});
