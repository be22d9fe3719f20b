import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRecordSchema, type AuditRecord } from '../../origin/audit/audit-record.ts';
import { promptDigest } from '../../origin/audit/prompt-digest.ts';
import { verifyDaysSince } from '../helpers/audit-days.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { chatBody, readAuditLines, readAuditRecords, tempDir } from './helpers.ts';
import { postJson } from '../helpers/request.ts';

const SECRET = 'zebra-quokka-7731';

/** One origin with a file sink; every outcome is driven through it, then the files are read. */
describe('audit record per outcome', () => {
  let stack: OriginStack;
  const tmp = tempDir();
  const startedAt = Date.now();
  const ids: Record<string, string> = {};
  let records: AuditRecord[] = [];

  const post = (path: string, body: string, id: string, init: RequestInit = {}) =>
    postJson(stack.origin.url + path, body, { ...init, headers: { 'x-request-id': id, ...(init.headers as Record<string, string> | undefined) } });

  beforeAll(async () => {
    stack = await startOriginStack({
      sim: { timeScale: 0.02 },
      origin: { audit: { region: 'cr-sjo-1', node: 'test-node', batchWindowMs: 100, file: { dir: tmp.dir } } },
    });
    // ok, streamed (OpenAI SSE)
    ids.okStream = 'req-ok-stream-0001';
    await (await post('/v1/chat/completions', chatBody(`${SECRET} [[sim:tokens=8]]`, { stream: true }), ids.okStream)).text();
    // ok, not streamed
    ids.okJson = 'req-ok-json-00001';
    await (await post('/v1/chat/completions', chatBody(`${SECRET} [[sim:tokens=5]]`), ids.okJson)).text();
    // ok, native Ollama stream
    ids.okNative = 'req-ok-native-001';
    await (await post('/api/chat', chatBody(`${SECRET} [[sim:tokens=5]]`), ids.okNative)).text();
    // upstream error after the first byte
    ids.upstreamError = 'req-upstream-err-1';
    await (await post('/v1/chat/completions', chatBody(`${SECRET} [[sim:tokens=20,fault=error,after=3]]`, { stream: true }), ids.upstreamError)).text();
    // rejected: unknown model (404) and a malformed body (400), each with its reason
    ids.rejectedModel = 'req-rejected-model';
    await (await post('/v1/chat/completions', JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), ids.rejectedModel)).text();
    ids.rejectedBody = 'req-rejected-body1';
    await (await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-oss:20b', messages: 'nope' }), ids.rejectedBody)).text();
    // client cancelled mid-stream: an answer long enough (seconds even at this time scale) that a
    // loaded machine cannot finish it between the first read and the abort
    ids.cancelled = 'req-cancelled-0001';
    const ctl = new AbortController();
    const res = await post('/v1/chat/completions', chatBody(`${SECRET} [[sim:tokens=20000]]`, { stream: true }), ids.cancelled, { signal: ctl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ctl.abort();
    await reader.read().catch(() => {});
    // Wait until the engine saw the disconnect (the origin aborted it), then close (flush + seal).
    for (let i = 0; i < 100 && stack.sim.stats().cancelled < 1; i++) await new Promise((r) => setTimeout(r, 50));
    await stack.close();
    records = readAuditRecords(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  const byId = (id: string) => {
    const r = records.find((x) => x.id === id);
    expect(r, `audit record for ${id}`).toBeDefined();
    return r!;
  };

  it('writes one schema-valid record per request, stamped with region and node', () => {
    for (const id of Object.values(ids)) expect(records.filter((r) => r.id === id)).toHaveLength(1);
    for (const r of records) {
      expect(auditRecordSchema.safeParse(r).success).toBe(true);
      expect(r.region).toBe('cr-sjo-1');
      expect(r.node).toBe('test-node');
    }
  });

  it('ok: timestamps, TTFT, engine token counts, bytes, upstream', () => {
    for (const id of [ids.okStream!, ids.okJson!, ids.okNative!]) {
      const r = byId(id);
      expect(r.outcome).toBe('ok');
      expect(r.status).toBe(200);
      expect(r.upstream).toBe('sim');
      expect(r.upstreamModel).toBe('gpt-oss:20b');
      expect(r.publicModel).toBe('gpt-oss:20b');
      expect(r.tenant).toBe('anonymous');
      for (const k of ['receivedAt', 'queuedAt', 'admittedAt', 'firstByteAt', 'endedAt'] as const) expect(Date.parse(r[k]!)).toBeGreaterThan(0);
      expect(Date.parse(r.queuedAt!)).toBeLessThanOrEqual(Date.parse(r.admittedAt!));
      expect(r.ttftMs).toBeGreaterThanOrEqual(0);
      expect(r.bytesIn).toBeGreaterThan(0);
      // Non-streamed JSON answers carry no content-length when the record ends (origin core), so
      // bytesOut is checked on the streams, where the relay counts every frame.
      if (r.stream) expect(r.bytesOut).toBeGreaterThan(0);
      expect(r.reason).toBeNull();
    }
    expect(byId(ids.okStream!).stream).toBe(true);
    expect(byId(ids.okStream!).completionTokens).toBe(8);
    expect(byId(ids.okStream!).promptTokens).toBeGreaterThan(0);
    expect(byId(ids.okJson!).stream).toBe(false);
    expect(byId(ids.okJson!).completionTokens).toBe(5);
  });

  it('upstream_error: the failure kind is the reason', () => {
    const r = byId(ids.upstreamError!);
    expect(r.outcome).toBe('upstream_error');
    expect(r.reason).toMatch(/^upstream_/);
    expect(r.firstByteAt).not.toBeNull();
  });

  it('rejected: with the reason (model_not_found, invalid body)', () => {
    const m = byId(ids.rejectedModel!);
    expect(m.outcome).toBe('rejected');
    expect(m.status).toBe(404);
    expect(m.reason).toBe('model_not_found');
    const b = byId(ids.rejectedBody!);
    expect(b.outcome).toBe('rejected');
    expect(b.status).toBe(400);
    expect(b.reason).toBe('invalid_request_body');
  });

  it('client_cancelled: first byte seen, no end of generation', () => {
    const r = byId(ids.cancelled!);
    expect(r.outcome).toBe('client_cancelled');
    expect(r.status).toBe(499);
    expect(r.firstByteAt).not.toBeNull();
  });

  it('never writes prompt or completion text without a content-logging policy', () => {
    const raw = JSON.stringify(readAuditLines(tmp.dir));
    expect(raw).not.toContain(SECRET);
    expect(records.every((r) => r.promptDigest === undefined && r.content === undefined)).toBe(true);
  });

  it('the files verify: chain intact, sealed at shutdown, counts by outcome', async () => {
    const report = await verifyDaysSince(tmp.dir, startedAt);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.files.every((f) => f.sealed)).toBe(true);
    expect(report.records).toBe(records.length);
    expect(report.byOutcome.ok).toBe(3);
    expect(report.byOutcome.rejected).toBe(2);
  });
});

describe('tenant policy: prompt digest and content logging', () => {
  it('adds a prompt digest for an opted-in tenant and content only where content logging is on', async () => {
    const tmp = tempDir();
    const startedAt = Date.now();
    try {
      const digestOnly = await startOriginStack({
        sim: { timeScale: 0.02 },
        origin: { audit: { region: 'cr-sjo-1', batchWindowMs: 50, file: { dir: tmp.dir }, tenants: { anonymous: { promptDigest: true } } } },
      });
      const body = chatBody(`${SECRET} [[sim:tokens=4]]`, { stream: true });
      await (await postJson(digestOnly.origin.url + '/v1/chat/completions', body)).text();
      await digestOnly.close();
      const [r] = readAuditRecords(tmp.dir);
      expect(r!.promptDigest).toBe(promptDigest(JSON.parse(body)));
      expect(r!.content).toBeUndefined();
      expect(JSON.stringify(readAuditLines(tmp.dir))).not.toContain(SECRET);

      const content = await startOriginStack({
        sim: { timeScale: 0.02 },
        origin: { audit: { region: 'cr-sjo-1', batchWindowMs: 50, file: { dir: tmp.dir }, tenants: { anonymous: { contentLogging: true } } } },
      });
      await (await postJson(content.origin.url + '/v1/chat/completions', body)).text();
      const json = await (await postJson(content.origin.url + '/v1/chat/completions', chatBody(`${SECRET} [[sim:tokens=4]]`))).json() as { choices: Array<{ message: { content: string } }> };
      await content.close();
      const logged = readAuditRecords(tmp.dir).slice(1);
      expect(logged).toHaveLength(2);
      expect(JSON.stringify(logged[0]!.content!.prompt)).toContain(SECRET);
      expect(logged[0]!.content!.completion).toContain('data: [DONE]');
      expect(logged[1]!.content!.completion).toContain(json.choices[0]!.message.content);
      // The chain runs across the two origins' files (the second links to the first's seal).
      expect((await verifyDaysSince(tmp.dir, startedAt)).errors).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
