import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { readAuditRecords, tempDir } from '../audit/helpers.ts';
import { CORPUS, QUESTIONS } from './corpus.ts';
import { api, startRagStack, twoTenants } from './helpers.ts';

let stack: OriginStack;
let client: OpenAI;
let auditDir: string;
let cleanup: () => void;

beforeAll(async () => {
  const t = await twoTenants();
  ({ dir: auditDir, cleanup } = tempDir('puerta-rag-audit-'));
  stack = await startRagStack(t.file, { audit: { file: { dir: auditDir, fsync: false }, batchWindowMs: 20 } });
  const up = await api(stack.origin.url, t.keys.acme)('POST', '/v1/collections/manuales/documents?wait=true', { documents: CORPUS });
  expect(up.json.job.state).toBe('succeeded');
  client = new OpenAI({ baseURL: `${stack.origin.url}/v1`, apiKey: t.keys.acme, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.close();
  cleanup?.();
});

describe('a chat to a retrieval alias (unchanged OpenAI client)', () => {
  it('streams an answer built on the passages; citations only when asked for', async () => {
    const plain = await client.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: `${QUESTIONS.vpn} [[sim:tokens=5]]` }], max_tokens: 5 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'asistente-rag', messages: [{ role: 'user', content: `${QUESTIONS.vpn} [[sim:tokens=8]]` }], stream: true, stream_options: { include_usage: true } }, { headers: { 'Puerta-Citations': 'include' } })
      .withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    // The passages reached the engine: the prompt is larger than the bare question's.
    expect(usage!.prompt_tokens).toBeGreaterThan(plain.usage!.prompt_tokens + 100);
    const citations = JSON.parse(response.headers.get('puerta-citations')!) as Array<{ id: number; document: string; chunk: string; score: number }>;
    expect(citations.length).toBeGreaterThan(0);
    expect(new Set(citations.map((c) => c.document))).toEqual(new Set(['vpn']));
    expect(citations[0]).toMatchObject({ id: 1, document: 'vpn' });
    const timing = response.headers.get('server-timing')!;
    expect(timing).toMatch(/retrieval;dur=[\d.]+/);
    expect(timing).toMatch(/prompt;dur=[\d.]+/);
    expect(timing).toMatch(/queue;dur=\d+/);

    const { response: quiet } = await client.chat.completions.create({ model: 'asistente-rag', messages: [{ role: 'user', content: QUESTIONS.vpn }], max_tokens: 3 }).withResponse();
    expect(quiet.headers.get('puerta-citations')).toBeNull();
  });

  it('a non-streamed answer carries `citations` in the body when asked, which the client ignores safely', async () => {
    const res = (await client.chat.completions.create({ model: 'asistente-rag', messages: [{ role: 'user', content: QUESTIONS.vacaciones }], max_tokens: 4 }, { headers: { 'Puerta-Citations': 'include' } })) as OpenAI.ChatCompletion & { citations?: Array<{ document: string }> };
    expect(res.choices[0]?.message.role).toBe('assistant');
    expect(res.citations?.map((c) => c.document)).toContain('vacaciones');
    expect(res.citations?.map((c) => c.document)).not.toContain('receta');
  });

  it('Ollama’s /api/chat with the alias gets the same retrieval', async () => {
    const key = (client as unknown as { apiKey: string }).apiKey;
    const res = await fetch(`${stack.origin.url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'puerta-citations': 'include' },
      body: JSON.stringify({ model: 'asistente-rag', messages: [{ role: 'user', content: QUESTIONS.vacaciones }], stream: false, options: { num_predict: 3 } }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.headers.get('puerta-citations')!)[0].document).toBe('vacaciones');
    const body = (await res.json()) as { prompt_eval_count: number };
    expect(body.prompt_eval_count).toBeGreaterThan(50);
  });

  it('metrics, audit: retrieval latency, tokens saved, phases; ids and scores only, never chunk text', async () => {
    const metrics = await (await fetch(`${stack.origin.url}/metrics`)).text();
    expect(metrics).toMatch(/puerta_retrieval_seconds_count\{collection="manuales"\} [1-9]/);
    expect(metrics).toMatch(/puerta_retrieval_prompt_tokens_saved_total\{collection="manuales",reason="topK"\} [1-9]/);
    for (const phase of ['retrieval', 'prompt_build', 'queue', 'inference', 'streaming']) {
      expect(metrics).toMatch(new RegExp(`puerta_request_phase_seconds_count\\{model="asistente-rag",phase="${phase}"\\} [1-9]`));
    }
    expect(metrics).toMatch(/puerta_retrieval_ingest_chunks_total\{outcome="duplicate"\} [1-9]/);
    await new Promise((r) => setTimeout(r, 200));
    const rag = readAuditRecords(auditDir).filter((r) => r.publicModel === 'asistente-rag' && r.route === '/v1/chat/completions');
    expect(rag.length).toBeGreaterThanOrEqual(2);
    const streamed = rag.find((r) => r.stream)!;
    expect(streamed.retrieval).toMatchObject({ collection: 'manuales', tokensSaved: { dedup: 0 } });
    expect(streamed.retrieval!.chunks).toBe(streamed.retrieval!.citations.length);
    expect(streamed.retrieval!.citations[0]).toEqual({ document: 'vpn', chunk: expect.any(String), score: expect.any(Number) });
    expect(streamed.phases).toMatchObject({ retrieval: expect.any(Number), promptBuild: expect.any(Number), queue: expect.any(Number), inference: expect.any(Number), streaming: expect.any(Number) });
    // Nothing of the documents in the audit files.
    const raw = readdirSync(auditDir).map((n) => readFileSync(join(auditDir, n), 'utf8')).join('\n');
    for (const phrase of ['OpenVPN', 'doble factor', 'quince días', 'gallo pinto']) expect(raw).not.toContain(phrase);
  });
});
