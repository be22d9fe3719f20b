/**
 * The status lifecycle as states and transitions, and expiry: a batch whose completion window
 * passes ends `expired`, its unanswered lines in the error file as `batch_expired`.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_STATUSES, isTerminal, next } from '../../origin/batch/lifecycle.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { chatLines, fileLines, submit } from './helpers.ts';

describe('lifecycle', () => {
  it("follows OpenAI's documented path and nothing else", () => {
    expect(next('validating', 'validated')).toBe('in_progress');
    expect(next('validating', 'invalid')).toBe('failed');
    expect(next('in_progress', 'drained')).toBe('finalizing');
    expect(next('finalizing', 'written')).toBe('completed');
    expect(next('in_progress', 'cancel')).toBe('cancelling');
    expect(next('cancelling', 'cancel_drained')).toBe('cancelled');
    expect(next('in_progress', 'window_passed')).toBe('expired');
    expect(next('completed', 'cancel')).toBeUndefined();
    expect(next('finalizing', 'cancel')).toBeUndefined();
    expect(BATCH_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed', 'expired', 'cancelled']);
  });
});

describe('expiry', () => {
  let s: OriginStack;
  beforeAll(async () => {
    s = await startOriginStack({ sim: { timeScale: 0.05 }, origin: { batch: { enabled: true, pollMs: 50, concurrency: 1 } } });
  }, 120_000);
  afterAll(() => s?.close());

  it('a batch past its completion window ends expired; lines never answered are batch_expired', async () => {
    const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const b = await submit(client, chatLines(30, { tokens: 100 }));
    await expect.poll(async () => (await client.batches.retrieve(b.id)).request_counts?.completed ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
    // The 24 h window, passed now.
    await s.origin.deps.batch!.store.sql`UPDATE batches SET expires_at = now() - interval '1 second' WHERE id = ${b.id}`;
    await expect.poll(async () => (await client.batches.retrieve(b.id)).status, { timeout: 30_000 }).toBe('expired');
    const end = await client.batches.retrieve(b.id);
    expect(end.expired_at).not.toBeNull();
    const out = await fileLines(client, end.output_file_id);
    const errs = await fileLines(client, end.error_file_id);
    expect(out.length + errs.length).toBe(30);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.every((e) => e.error?.code === 'batch_expired' && e.response === null)).toBe(true);
    expect(new Set([...out, ...errs].map((l) => l.custom_id)).size).toBe(30);
  });
});
