/**
 * Batch lines yield to interactive work at once (admission.preemptBatch): with every slot of the
 * model held by batch lines, an interactive request stops the most recently started one and takes
 * its slot without waiting for a line to end; the stopped line goes back to its batch unanswered,
 * at no cost to its tries, and is answered later, exactly once. The same on the replica's own
 * slots and on slots leased through Redis (where the stop comes as a message on the replica's
 * slot channel).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchStage } from '../../origin/batch/stage.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { chatLines, fileLines, submit } from './helpers.ts';

const LINES = 3;

describe.each(['replica', 'redis'] as const)('slots of scope %s', (scope) => {
  let s: OriginStack;
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    if (scope === 'redis') redis = await startRedis();
    s = await startOriginStack({
      sim: { timeScale: 0.05 },
      origin: {
        admission: { defaultSlots: 2, scope },
        batch: { enabled: true, pollMs: 50, concurrency: 2 },
        ...(redis ? { redis: { url: redis.url } } : {}),
      },
    });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await redis?.close();
  });

  it('an interactive request takes a batch line’s slot at once; the stopped line is answered later, once', async () => {
    const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // Lines long enough (6,000 tokens) that waiting for one to end would be seen.
    const b = await submit(client, chatLines(LINES, { tokens: 6_000 }));
    const batch = s.origin.deps.batch as BatchStage;
    const gate = () => s.origin.deps.admission.snapshot?.().find((m) => m.model === 'llama3.2:3b');
    await expect.poll(() => gate()?.active ?? 0, { timeout: 30_000, interval: 20 }).toBe(2);
    expect(gate()?.scope).toBe(scope);

    const answer = await client.chat.completions.create({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'quick one [[sim:tokens=3]]' }] });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    // It did not wait for a batch line to end: none had, and one of them was stopped for it.
    expect((await client.batches.retrieve(b.id)).request_counts?.completed).toBe(0);
    expect(batch.runner.preempted).toBeGreaterThan(0);

    await expect.poll(async () => (await client.batches.retrieve(b.id)).status, { timeout: 60_000, interval: 200 }).toBe('completed');
    const end = await client.batches.retrieve(b.id);
    expect(end.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    const out = await fileLines(client, end.output_file_id);
    expect(out.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: LINES }, (_, i) => `req-${i}`));
    // The stopped line's try was not counted: every line took one.
    const rows = await batch.store.sql<{ attempts: number }[]>`SELECT attempts FROM batch_lines WHERE batch_id = ${b.id}`;
    expect(rows.map((r) => r.attempts)).toEqual([1, 1, 1]);
  }, 120_000);
});
