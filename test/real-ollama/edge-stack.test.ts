/**
 * The whole path with the real engine: a tenant's client → edge (Workers build in workerd) →
 * origin (accepts only edge-signed requests) → real Ollama 0.17.4 with the tiny models.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureSecretsFile } from '../../edge/cli/tenants-file.ts';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { parseSse } from '../helpers/sse.ts';
import { startEdgeWithSecret, type EdgeOnly } from '../edge/harness/stack.ts';
import { describeOllama, startOllama, tinyModels, warm, type OllamaProcess } from '../helpers/ollama.ts';

describeOllama('edge (workerd) → origin → real Ollama', () => {
  let engine: OllamaProcess;
  let origin: RunningOrigin;
  let edge: EdgeOnly;

  beforeAll(async () => {
    engine = await startOllama({ numParallel: 2 });
    await warm(engine.url);
    const dir = mkdtempSync(join(tmpdir(), 'puerta-edge-'));
    const secret = ensureSecretsFile(join(dir, 'edge-secrets.json'));
    origin = await startOrigin({
      env: {},
      overrides: {
        log: { level: 'silent' },
        server: { port: 0 },
        auth: { mode: 'edge', edgeSecret: secret, maxSkewMs: 60_000 },
        stream: { keepaliveMs: 150 },
        upstreams: [{ name: 'ollama', url: engine.url }],
      },
    });
    edge = await startEdgeWithSecret('workers', origin.url, dir, {});
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
    await engine?.stop();
  });

  it('streams a chat completion with a tenant key, and refuses a request without one', async () => {
    const client = new OpenAI({ baseURL: `${edge.edge.url}/v1`, apiKey: edge.keys.open, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: tinyModels.chat, messages: [{ role: 'user', content: 'hola, ¿qué tal?' }], stream: true, max_tokens: 8, stop: ['never-said'], seed: 4 });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.trim().length).toBeGreaterThan(0);
    expect(finish).toBe('length');
    expect((await edge.fetch('/v1/models')).status).toBe(401);
  });

  it('relays a native stream and an embedding through the edge', async () => {
    const res = await edge.fetch('/api/chat', {
      method: 'POST',
      headers: { authorization: `Bearer ${edge.keys.open}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: tinyModels.chat, messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 4, stop: ['never-said'] } }),
    });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { done: boolean; eval_count?: number });
    expect(lines.at(-1)).toMatchObject({ done: true, eval_count: 4 });
    const emb = await edge.fetch('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${edge.keys.open}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: tinyModels.embed, input: 'hola' }),
    });
    expect(emb.status).toBe(200);
    expect(((await emb.json()) as { data: Array<{ embedding: number[] }> }).data[0]!.embedding).toHaveLength(64);
  });

  it('a stream the engine cuts short reaches the client as an error event', async () => {
    const res = await edge.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${edge.keys.open}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: tinyModels.repeat, messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const events = parseSse(await res.text());
    expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });
});
