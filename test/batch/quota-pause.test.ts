/**
 * A tenant's used-up daily token quota pauses its batch: the lines left wait for the quota to
 * renew (the batch stays in_progress, no line fails), instead of the batch failing.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { chatLines, submit } from './helpers.ts';

let s: OriginStack;
beforeAll(async () => {
  s = await startOriginStack({ sim: { timeScale: 0.02 }, origin: { batch: { enabled: true, pollMs: 50 }, quota: { defaults: { dailyTokens: 300 } } } });
}, 120_000);
afterAll(() => s?.close());

it('pauses the batch until the quota renews; no line fails', async () => {
  const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const b = await submit(client, chatLines(40, { tokens: 20 }));
  const sql = s.origin.deps.batch!.store.sql;
  const pausedFor = async () => {
    const [r] = await sql<{ ms: number | null }[]>`SELECT (extract(epoch FROM paused_until - now()) * 1000)::float8 AS ms FROM batches WHERE id = ${b.id}`;
    return r?.ms ?? 0;
  };
  // Paused until the next UTC day (the quota's renewal), not for a moment.
  await expect.poll(pausedFor, { timeout: 30_000 }).toBeGreaterThan(1_000);
  const now = await client.batches.retrieve(b.id);
  expect(now.status).toBe('in_progress');
  expect(now.request_counts!.failed).toBe(0);
  expect(now.request_counts!.completed).toBeGreaterThan(0);
  expect(now.request_counts!.completed).toBeLessThan(40);
});
