/**
 * The official `@anthropic-ai/sdk` Message Batches API through the edge (workerd) in front of an
 * origin with the batch stage and the simulator: create, retrieve, list both ways, results as
 * JSONL with every custom_id once, cancel, delete, tenancy, the allow-list per request, and bad
 * input refused in Anthropic's error shape naming the field.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeStack, type EdgeStack } from '../edge/harness/stack.ts';

let s: EdgeStack;
let claude: Anthropic;
let other: Anthropic;

beforeAll(async () => {
  s = await startEdgeStack('workers', { timeScale: 0.02, origin: { batch: { enabled: true, pollMs: 50 } } });
  claude = new Anthropic({ baseURL: s.edge.url, apiKey: s.keys.open, maxRetries: 0 });
  other = new Anthropic({ baseURL: s.edge.url, apiKey: s.keys.germany, maxRetries: 0 });
}, 600_000);
afterAll(() => s?.close());

const requests = (n: number, opts: { model?: string; tokens?: number; from?: number } = {}) =>
  Array.from({ length: n }, (_, k) => {
    const i = k + (opts.from ?? 0);
    return { custom_id: `msg-${i}`, params: { model: opts.model ?? 'llama3.2:3b', max_tokens: 64, messages: [{ role: 'user' as const, content: `line ${i} [[sim:tokens=${opts.tokens ?? 3}]]` }] } };
  });

const ended = (client: Anthropic, id: string) =>
  expect.poll(async () => (await client.messages.batches.retrieve(id)).processing_status, { timeout: 60_000, interval: 200 }).toBe('ended');

async function results(client: Anthropic, id: string): Promise<Anthropic.Messages.MessageBatchIndividualResponse[]> {
  const out: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const r of await client.messages.batches.results(id)) out.push(r);
  return out;
}

async function refusal(p: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Anthropic.APIError);
  return err as InstanceType<typeof Anthropic.APIError>;
}

describe("Anthropic's Message Batches through the edge", () => {
  let batchId = '';

  it('creates, runs and returns every custom_id exactly once as JSONL results', async () => {
    const b = await claude.messages.batches.create({ requests: requests(10) });
    batchId = b.id;
    expect(b).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', results_url: null, archived_at: null });
    expect(b.id).toMatch(/^msgbatch_/);
    expect(b.request_counts.processing).toBe(10);
    await ended(claude, b.id);
    const done = await claude.messages.batches.retrieve(b.id);
    expect(done.request_counts).toEqual({ processing: 0, succeeded: 10, errored: 0, canceled: 0, expired: 0 });
    expect(done.ended_at).not.toBeNull();
    expect(done.results_url).toBe(`/v1/messages/batches/${b.id}/results`);
    const r = await results(claude, b.id);
    expect(r.map((l) => l.custom_id).sort()).toEqual(requests(10).map((q) => q.custom_id).sort());
    for (const l of r) {
      expect(l.result.type).toBe('succeeded');
      if (l.result.type === 'succeeded') expect(l.result.message).toMatchObject({ type: 'message', role: 'assistant' });
    }
  });

  it("is not in OpenAI's listing of batches (GET /v1/batches shows OpenAI's endpoints only)", async () => {
    const res = await fetch(`${s.edge.url}/v1/batches?limit=100`, { headers: { authorization: `Bearer ${s.keys.open}` } });
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { data: Array<{ id: string }> }).data.map((b) => b.id);
    expect(batchId).not.toBe('');
    expect(ids).not.toContain(batchId);
  });

  it('lists newest first, pages with after_id and before_id', async () => {
    const second = await claude.messages.batches.create({ requests: requests(1) });
    const first = await claude.messages.batches.list({ limit: 1 });
    expect(first.data.map((b) => b.id)).toEqual([second.id]);
    expect(first.has_more).toBe(true);
    const older = await claude.messages.batches.list({ limit: 1, after_id: second.id });
    expect(older.data.map((b) => b.id)).toEqual([batchId]);
    const newer = await claude.messages.batches.list({ limit: 5, before_id: batchId });
    expect(newer.data.map((b) => b.id)).toEqual([second.id]);
    await ended(claude, second.id);
  });

  it('cancels a running batch: it ends with the requests never run as canceled', async () => {
    const b = await claude.messages.batches.create({ requests: requests(40, { tokens: 400 }) });
    await expect.poll(async () => (await claude.messages.batches.retrieve(b.id)).request_counts.succeeded, { timeout: 30_000 }).toBeGreaterThan(0);
    const c = await claude.messages.batches.cancel(b.id);
    expect(['canceling', 'ended']).toContain(c.processing_status);
    expect(c.cancel_initiated_at).not.toBeNull();
    await ended(claude, b.id);
    const end = await claude.messages.batches.retrieve(b.id);
    expect(end.request_counts.canceled).toBeGreaterThan(0);
    expect(end.request_counts.succeeded + end.request_counts.canceled + end.request_counts.errored).toBe(40);
    const r = await results(claude, b.id);
    expect(r).toHaveLength(40);
    expect(r.filter((l) => l.result.type === 'canceled')).toHaveLength(end.request_counts.canceled);
  });

  it("applies the tenant's allow-list per request: a disallowed model is that request's error", async () => {
    const restricted = new Anthropic({ baseURL: s.edge.url, apiKey: s.keys.models, maxRetries: 0 });
    const b = await restricted.messages.batches.create({ requests: [...requests(2), ...requests(1, { model: 'gpt-oss:20b', from: 2 })] });
    await ended(restricted, b.id);
    expect((await restricted.messages.batches.retrieve(b.id)).request_counts).toMatchObject({ succeeded: 2, errored: 1 });
    const bad = (await results(restricted, b.id)).find((l) => l.custom_id === 'msg-2')!;
    expect(bad.result).toMatchObject({ type: 'errored', error: { type: 'error', error: { type: 'not_found_error' } } });
  });

  it('a tenant sees, cancels and deletes only its own batches', async () => {
    expect((await refusal(other.messages.batches.retrieve(batchId))).status).toBe(404);
    expect((await refusal(other.messages.batches.cancel(batchId))).status).toBe(404);
    expect((await refusal(other.messages.batches.delete(batchId))).status).toBe(404);
    expect((await other.messages.batches.list()).data.map((b) => b.id)).not.toContain(batchId);
  });

  it('deletes an ended batch and its results; a running one must be cancelled first', async () => {
    const running = await claude.messages.batches.create({ requests: requests(20, { tokens: 400 }) });
    const e = await refusal(claude.messages.batches.delete(running.id));
    expect(e.status).toBe(400);
    await claude.messages.batches.cancel(running.id);
    expect(await claude.messages.batches.delete(batchId)).toEqual({ id: batchId, type: 'message_batch_deleted' });
    expect((await refusal(claude.messages.batches.retrieve(batchId))).status).toBe(404);
  });
});

describe("bad input is refused in Anthropic's error shape, naming the field", () => {
  const body = async (res: Response) => (await res.json()) as { type: string; error: { type: string; message: string } };
  const post = (payload: unknown) =>
    s.fetch('/v1/messages/batches', { method: 'POST', headers: { 'x-api-key': s.keys.open, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(payload) });

  it('a request whose params the Messages API would refuse', async () => {
    const e = await refusal(claude.messages.batches.create({ requests: [...requests(1), { custom_id: 'bad', params: { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] } as never }] }));
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(e.message).toContain('requests[1].params.max_tokens');
  });

  it('a duplicate or malformed custom_id, a stream, no requests', async () => {
    const dup = await post({ requests: [...requests(1), ...requests(1)] });
    expect(dup.status).toBe(400);
    expect((await body(dup)).error.message).toContain("requests[1].custom_id: 'msg-0' appears more than once");
    expect((await body(await post({ requests: [{ custom_id: 'has space', params: requests(1)[0]!.params }] }))).error.message).toContain('requests[0].custom_id');
    expect((await body(await post({ requests: [{ custom_id: 'x', params: { ...requests(1)[0]!.params, stream: true } }] }))).error.message).toContain('requests[0].params.stream');
    const none = await post({ requests: [] });
    expect(none.status).toBe(400);
    expect(await body(none)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('an unknown id is a 404 in the same shape', async () => {
    const e = await refusal(claude.messages.batches.retrieve('msgbatch_nope'));
    expect(e.status).toBe(404);
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});
