/**
 * What clients ask the edge before (or besides) a generation: `HEAD /` and `GET /` without a key
 * (the Ollama CLI and Claude Code probe them first) and one model by id.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEdgeStack, type EdgeStack } from './harness/stack.ts';

let s: EdgeStack;
beforeAll(async () => {
  s = await startEdgeStack('workers', { timeScale: 0.01 });
});
afterAll(() => s?.close());

it('HEAD / and GET / answer "Ollama is running" without a key, and never reach the origin', async () => {
  const head = await s.fetch('/', { method: 'HEAD' });
  expect(head.status).toBe(200);
  const get = await s.fetch('/');
  expect(get.status).toBe(200);
  expect(await get.text()).toBe('Ollama is running');
  // Anything else still needs a key.
  expect((await s.fetch('/v1/models')).status).toBe(401);
});

it('GET /v1/models/{id} through the edge with a tenant key; 404 in OpenAI shape for an unknown id', async () => {
  const auth = { authorization: `Bearer ${s.keys.open}` };
  const one = await s.fetch('/v1/models/gpt-oss:20b', { headers: auth });
  expect(one.status).toBe(200);
  expect(await one.json()).toMatchObject({ id: 'gpt-oss:20b', object: 'model' });
  const none = await s.fetch('/v1/models/nope:1b', { headers: auth });
  expect(none.status).toBe(404);
  expect(((await none.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  // A tenant limited to some models does not see others by id either.
  const limited = await s.fetch('/v1/models/gpt-oss:20b', { headers: { authorization: `Bearer ${s.keys.models}` } });
  expect(limited.status).toBe(404);
  await limited.text();
});
