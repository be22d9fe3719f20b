import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeStack, TENANTS, type EdgeStack } from '../edge/harness/stack.ts';
import { CORPUS, QUESTIONS } from './corpus.ts';
import { ADMIN_TOKEN, api } from './helpers.ts';

let stack: EdgeStack;

beforeAll(async () => {
  stack = await startEdgeStack('workers', {
    timeScale: 0.05,
    origin: {
      admin: { token: ADMIN_TOKEN },
      retrieval: { enabled: true, chunk: { tokens: 60, overlap: 12 } },
      routing: { aliases: { 'asistente-rag': { model: 'gpt-oss:20b', retrieval: { collection: 'manuales' } } } },
    },
  });
  // Documents go straight to the origin in the region (the operator's admin API), never through the edge.
  const up = await api(stack.origin.origin.url, ADMIN_TOKEN)('POST', `/admin/tenants/${TENANTS.open.id}/collections/manuales/documents?wait=true`, { documents: CORPUS });
  expect(up.json.job.state).toBe('succeeded');
});
afterAll(() => stack?.close());

describe('the whole path: OpenAI client → edge (workerd) → origin retrieval → engine', () => {
  it('an unchanged client picks the alias and streams an answer built on the tenant’s passages', async () => {
    const client = new OpenAI({ baseURL: `${stack.edge.url}/v1`, apiKey: stack.keys.open, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'asistente-rag', messages: [{ role: 'user', content: `${QUESTIONS.vacaciones} [[sim:tokens=10]]` }], stream: true, stream_options: { include_usage: true } }, { headers: { 'Puerta-Citations': 'include' } })
      .withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBe(10);
    const citations = JSON.parse(response.headers.get('puerta-citations')!) as Array<{ document: string }>;
    expect(citations.map((c) => c.document)).toContain('vacaciones');
    expect(citations.map((c) => c.document)).not.toContain('receta');
    // Edge, origin and retrieval timing side by side.
    const timing = response.headers.get('server-timing')!;
    expect(timing).toContain('retrieval;dur=');
    expect(timing).toContain('edge;dur=');
  });

  it('another tenant behind the edge cannot reach that collection', async () => {
    const client = new OpenAI({ baseURL: `${stack.edge.url}/v1`, apiKey: stack.keys.limited, maxRetries: 0 });
    const err = await client.chat.completions.create({ model: 'asistente-rag', messages: [{ role: 'user', content: QUESTIONS.vacaciones }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('collection_not_found');
  });
});
