/**
 * The official `openai` npm client through the edge (workerd) in front of an origin with the
 * batch stage and the simulator: the whole Files + Batch flow, cancel, live progress, tenancy,
 * the allow-list per line and bad input, each answered in OpenAI's error shape naming the field.
 */
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSigningKey, signOutgoing } from '../../shared/signing.ts';
import { startEdgeStack, TENANTS, type EdgeStack } from '../edge/harness/stack.ts';
import { pythonSdk, runPython } from '../helpers/python-sdk.ts';
import { chatLines, embeddingLines, fileLines, submit } from './helpers.ts';

let s: EdgeStack;
let open: OpenAI;
let other: OpenAI;

let python: string;
const REQUEST_LIMIT = 64 * 1024;
const UPLOAD_LIMIT = 1024 * 1024;

beforeAll(async () => {
  python = pythonSdk();
  // Small request limits, so the upload's own (larger) limit shows at both hops.
  s = await startEdgeStack('workers', {
    timeScale: 0.02,
    edgeConfig: { MAX_BODY_BYTES: String(REQUEST_LIMIT), MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) },
    origin: { server: { maxBodyBytes: REQUEST_LIMIT }, batch: { enabled: true, pollMs: 50, maxFileBytes: UPLOAD_LIMIT } },
  });
  open = new OpenAI({ baseURL: `${s.edge.url}/v1`, apiKey: s.keys.open, maxRetries: 0 });
  other = new OpenAI({ baseURL: `${s.edge.url}/v1`, apiKey: s.keys.germany, maxRetries: 0 });
}, 600_000);
afterAll(() => s?.close());

const finished = (client: OpenAI, id: string, status: OpenAI.Batch['status']) =>
  expect.poll(async () => (await client.batches.retrieve(id)).status, { timeout: 60_000, interval: 200 }).toBe(status);

async function refusal(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe('OpenAI Files and Batch APIs through the edge', () => {
  let batchId = '';
  let inputId = '';

  it('uploads, runs, reports and returns every custom_id exactly once', async () => {
    const b = await submit(open, chatLines(12));
    batchId = b.id;
    inputId = b.input_file_id;
    expect(b).toMatchObject({ object: 'batch', endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { suite: 'batch' } });
    // Live progress over SSE, through the edge, while it runs: progress frames, then `done`.
    const events = await s.fetch(`/v1/batches/${b.id}/events`, { headers: { authorization: `Bearer ${s.keys.open}` } });
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    const sse = await events.text();
    expect(sse).toContain('event: progress');
    expect(sse).toMatch(/event: done\ndata: \{[^\n]*"status":"completed"/);
    await finished(open, b.id, 'completed');
    const done = await open.batches.retrieve(b.id);
    expect(done.request_counts).toEqual({ total: 12, completed: 12, failed: 0 });
    expect(done.in_progress_at).not.toBeNull();
    expect(done.completed_at).not.toBeNull();
    const out = await fileLines(open, done.output_file_id);
    expect(out.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `req-${i}`).sort());
    for (const l of out) {
      expect(l.response?.status_code).toBe(200);
      expect(l.response?.body.object).toBe('chat.completion');
      expect(l.error).toBeNull();
    }
    expect(done.error_file_id).toBeNull();
    // The output file is read from the lines as it is sent; its size is the size of what is sent.
    const sent = await (await open.files.content(done.output_file_id!)).text();
    expect((await open.files.retrieve(done.output_file_id!)).bytes).toBe(Buffer.byteLength(sent));
    // Listings: newest first, with OpenAI's cursor fields.
    const files = await open.files.list();
    expect(files.data.map((f) => f.id)).toEqual(expect.arrayContaining([inputId, done.output_file_id]));
    const batches = await open.batches.list({ limit: 10 });
    expect(batches.data[0]!.id).toBe(b.id);
    expect((await open.files.retrieve(inputId)).purpose).toBe('batch');
  });

  it('cancels a running batch: it ends cancelled with what finished', async () => {
    const b = await submit(open, chatLines(40, { tokens: 400 }));
    await expect.poll(async () => (await open.batches.retrieve(b.id)).status, { timeout: 30_000 }).toBe('in_progress');
    const c = await open.batches.cancel(b.id);
    expect(['cancelling', 'cancelled']).toContain(c.status);
    await finished(open, b.id, 'cancelled');
    const end = await open.batches.retrieve(b.id);
    expect(end.cancelled_at).not.toBeNull();
    expect(end.request_counts!.completed).toBeLessThan(40);
  });

  it('a tenant sees, reads and cancels only its own files and batches', async () => {
    expect((await refusal(other.files.retrieve(inputId))).status).toBe(404);
    expect((await refusal(other.files.content(inputId))).status).toBe(404);
    expect((await refusal(other.files.delete(inputId))).status).toBe(404);
    expect((await refusal(other.batches.retrieve(batchId))).status).toBe(404);
    expect((await refusal(other.batches.cancel(batchId))).status).toBe(404);
    const e = await refusal(other.batches.create({ input_file_id: inputId, endpoint: '/v1/chat/completions', completion_window: '24h' }));
    expect(e.status).toBe(400);
    expect(e.param).toBe('input_file_id');
    expect((await other.files.list()).data.map((f) => f.id)).not.toContain(inputId);
    expect((await other.batches.list()).data.map((b) => b.id)).not.toContain(batchId);
  });

  it('deletes a file when asked', async () => {
    const f = await open.files.create({ file: await toFile(Buffer.from(chatLines(1)), 'gone.jsonl'), purpose: 'batch' });
    expect(await open.files.delete(f.id)).toMatchObject({ id: f.id, deleted: true });
    expect((await refusal(open.files.retrieve(f.id))).status).toBe(404);
  });

  it("applies the tenant's allow-list per line: a disallowed model is that line's error", async () => {
    const restricted = new OpenAI({ baseURL: `${s.edge.url}/v1`, apiKey: s.keys.models, maxRetries: 0 });
    const b = await submit(restricted, chatLines(2, { model: 'llama3.2:3b' }) + chatLines(1, { model: 'gpt-oss:20b', from: 2 }));
    await finished(restricted, b.id, 'completed');
    const done = await restricted.batches.retrieve(b.id);
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const errs = await fileLines(restricted, done.error_file_id);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ custom_id: 'req-2', response: { status_code: 404, body: { error: { code: 'model_not_found' } } } });
  });
});

const PYTHON_FLOW = `
import json, os, time
from openai import OpenAI
client = OpenAI(base_url=os.environ["BASE_URL"] + "/v1", api_key=os.environ["API_KEY"], max_retries=0)
f = client.files.create(file=("input.jsonl", os.environ["JSONL"].encode()), purpose="batch")
b = client.batches.create(input_file_id=f.id, endpoint="/v1/embeddings", completion_window="24h", metadata={"from": "python"})
deadline = time.time() + 60
while b.status not in ("completed", "failed", "expired", "cancelled") and time.time() < deadline:
    time.sleep(0.2)
    b = client.batches.retrieve(b.id)
lines = [json.loads(l) for l in client.files.content(b.output_file_id).text.splitlines()] if b.output_file_id else []
listed = [x.id for x in client.batches.list(limit=5).data]
print(json.dumps({"status": b.status, "counts": b.request_counts.model_dump(), "ids": sorted(l["custom_id"] for l in lines),
                  "dims": len(lines[0]["response"]["body"]["data"][0]["embedding"]) if lines else 0, "listed": b.id in listed, "metadata": b.metadata}))
`;

describe('the openai Python client, the same flow once', () => {
  it('files.create, batches.create, retrieve until done, files.content, list (an embeddings batch)', async () => {
    const r = await runPython<{ status: string; counts: { total: number; completed: number; failed: number }; ids: string[]; dims: number; listed: boolean; metadata: Record<string, string> }>(
      python,
      PYTHON_FLOW,
      { BASE_URL: s.edge.url, API_KEY: s.keys.open, JSONL: embeddingLines(4) },
      120_000,
    );
    expect(r).toMatchObject({ status: 'completed', counts: { total: 4, completed: 4, failed: 0 }, ids: ['emb-0', 'emb-1', 'emb-2', 'emb-3'], listed: true, metadata: { from: 'python' } });
    expect(r.dims).toBeGreaterThan(0);
  });
});

describe('bad input gets a clear error naming the field', () => {
  it('an upload has its own size limit, above the request limit, at the edge and the origin', async () => {
    const big = chatLines(1200); // ~170 KB: past the request limit, within the upload limit
    expect(big.length).toBeGreaterThan(REQUEST_LIMIT);
    const f = await open.files.create({ file: await toFile(Buffer.from(big), 'big.jsonl'), purpose: 'batch' });
    expect(f.bytes).toBe(Buffer.byteLength(big));
    const tooBig = chatLines(9000);
    expect(tooBig.length).toBeGreaterThan(UPLOAD_LIMIT);
    expect((await refusal(open.files.create({ file: await toFile(Buffer.from(tooBig), 'huge.jsonl'), purpose: 'batch' }))).status).toBe(413);
    // And at the origin, for a request signed as the edge signs it.
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([tooBig]), 'huge.jsonl');
    const req = new Request('http://x/', { method: 'POST', body: form });
    const body = new Uint8Array(await req.arrayBuffer());
    const requestId = 'req_batch_upload_limit_1';
    const headers = await signOutgoing(await importSigningKey(s.secret), { method: 'POST', path: '/v1/files', body, tenant: TENANTS.open.id, requestId });
    const direct = await fetch(`${s.origin.origin.url}/v1/files`, { method: 'POST', body, headers: { ...headers, 'x-request-id': requestId, 'content-type': req.headers.get('content-type')! } });
    expect(direct.status).toBe(413);
  });

  const upload = async (text: string, purpose = 'batch') => open.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: purpose as 'batch' });

  it('a line that is not JSON', async () => {
    const e = await refusal(upload(chatLines(1) + '{"custom_id": "x", oops\n'));
    expect(e.status).toBe(400);
    expect(e.message).toContain('line 2');
    expect(e.code).toBe('invalid_json_line');
  });

  it('a duplicate custom_id', async () => {
    const e = await refusal(upload(chatLines(2) + chatLines(1)));
    expect(e).toMatchObject({ status: 400, code: 'duplicate_custom_id', param: 'custom_id' });
    expect(e.message).toContain("line 3: custom_id 'req-0'");
  });

  it('an endpoint the batch API does not run', async () => {
    const e = await refusal(upload(JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/images/generations', body: {} }) + '\n'));
    expect(e).toMatchObject({ status: 400, code: 'invalid_url', param: 'url' });
    expect(e.message).toContain('/v1/chat/completions');
    const b = await refusal(open.batches.create({ input_file_id: 'file_x', endpoint: '/v1/images' as '/v1/embeddings', completion_window: '24h' }));
    expect(b).toMatchObject({ status: 400, param: 'endpoint' });
  });

  it('a body its endpoint would refuse', async () => {
    const e = await refusal(upload(JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'llama3.2:3b' } }) + '\n'));
    expect(e).toMatchObject({ status: 400, param: 'body.messages' });
  });

  it('the wrong purpose', async () => {
    const e = await refusal(upload(chatLines(1), 'fine-tune'));
    expect(e).toMatchObject({ status: 400, code: 'invalid_purpose', param: 'purpose' });
  });

  it('a batch whose lines call another endpoint fails with the line named', async () => {
    const f = await upload(chatLines(2));
    const b = await open.batches.create({ input_file_id: f.id, endpoint: '/v1/embeddings', completion_window: '24h' });
    await finished(open, b.id, 'failed');
    const failed = await open.batches.retrieve(b.id);
    expect(failed.errors?.data?.[0]).toMatchObject({ code: 'mismatched_endpoint', line: 1, param: 'url' });
  });
});
