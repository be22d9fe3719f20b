/**
 * One small batch against the real Ollama server (tiny models): chat and embedding lines run
 * through the origin's pipeline in the batch class, each answered once in OpenAI's line format,
 * and each line is one audit record (metadata: no prompt or answer text).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { fileLines, submit } from '../batch/helpers.ts';
import { describeOllama, startOllama, tinyModels, warm, type OllamaProcess } from '../helpers/ollama.ts';
import { verifyDaysSince } from '../helpers/audit-days.ts';

const SECRET_WORD = 'pelícano-violeta-7731';

describeOllama('a batch against real Ollama', () => {
  let engine: OllamaProcess;
  let origin: RunningOrigin;
  let client: OpenAI;
  let auditDir: string;
  const started = Date.now();

  beforeAll(async () => {
    engine = await startOllama({ numParallel: 2 });
    await warm(engine.url);
    auditDir = mkdtempSync(join(tmpdir(), 'puerta-batch-audit-'));
    origin = await startOrigin({
      env: {},
      overrides: {
        log: { level: 'silent' },
        server: { port: 0 },
        upstreams: [{ name: 'ollama', url: engine.url }],
        audit: { file: { dir: auditDir }, batchWindowMs: 50 },
        batch: { enabled: true, pollMs: 50, concurrency: 2 },
      },
    });
    client = new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 300_000);
  afterAll(async () => {
    await origin?.close();
    await engine?.stop();
  });

  it('answers every chat and embedding line once, one metadata-only audit record per line', async () => {
    const chat = Array.from({ length: 3 }, (_, i) => JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: tinyModels.chat, max_tokens: 8, messages: [{ role: 'user', content: `${SECRET_WORD} ${i}` }] } })).join('\n');
    const embed = Array.from({ length: 2 }, (_, i) => JSON.stringify({ custom_id: `e${i}`, method: 'POST', url: '/v1/embeddings', body: { model: tinyModels.embed, input: `${SECRET_WORD} ${i}` } })).join('\n');
    const chatBatch = await submit(client, chat + '\n');
    const embedBatch = await submit(client, embed + '\n', '/v1/embeddings');
    for (const b of [chatBatch, embedBatch]) {
      await expect.poll(async () => (await client.batches.retrieve(b.id)).status, { timeout: 120_000, interval: 250 }).toBe('completed');
    }
    const chatOut = await fileLines(client, (await client.batches.retrieve(chatBatch.id)).output_file_id);
    expect(chatOut.map((l) => l.custom_id).sort()).toEqual(['c0', 'c1', 'c2']);
    for (const l of chatOut) expect(l.response?.body.choices[0].message.role).toBe('assistant');
    const embedOut = await fileLines(client, (await client.batches.retrieve(embedBatch.id)).output_file_id);
    expect(embedOut.map((l) => l.custom_id).sort()).toEqual(['e0', 'e1']);
    for (const l of embedOut) expect(l.response?.body.data[0].embedding.length).toBeGreaterThan(0);

    // One audit record per line, and the trail holds no line's text.
    await expect.poll(async () => (await verifyDaysSince(auditDir, started)).records, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const report = await verifyDaysSince(auditDir, started);
    expect(report.ok).toBe(true);
    const text = readdirSync(auditDir).map((f) => readFileSync(join(auditDir, f), 'utf8')).join('');
    const lineIds = new Set([...chatOut, ...embedOut].map((l) => l.response!.request_id));
    expect(lineIds.size).toBe(5);
    for (const id of lineIds) expect(text.split(id).length - 1).toBe(1);
    expect(text).not.toContain(SECRET_WORD);
  });
});
