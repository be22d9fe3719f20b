/**
 * The body an OpenAI-compatible engine is sent for a client on the same wire
 * (origin/upstream/dialects/openai/request.ts): the client's body as validated, with the engine's
 * model name and usage asked for, serialised once. Each case is held to the plain form (the copy
 * with every change made on it, then serialised), byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { passthroughBody } from '../../origin/upstream/dialects/openai/request.ts';
import type { UpstreamConfig } from '../../origin/config/schema.ts';

const cfg = { responseFormat: 'json_schema' } as UpstreamConfig;
const user = [{ role: 'user', content: 'hola' }];

function plain(req: Record<string, unknown>, model: string, stream: boolean): string {
  const body: Record<string, unknown> = { ...req, model, stream };
  if (stream) body.stream_options = { ...((req.stream_options as object | null | undefined) ?? {}), include_usage: true };
  return JSON.stringify(body);
}

describe('passthrough body', () => {
  it.each([
    ['streamed, no stream_options', { model: 'm', stream: true, messages: user }, true],
    ['streamed, stream_options first', { stream_options: { include_usage: false, x: 1 }, model: 'm', messages: user }, true],
    ['streamed, stream_options null', { model: 'm', messages: user, stream_options: null, temperature: 0.5 }, true],
    ['streamed, unknown fields kept in order', { zeta: [1, { a: 'b' }], model: 'm', messages: user, alpha: 'é"\\' }, true],
    ['not streamed', { model: 'm', messages: user, stream_options: { include_usage: true } }, false],
  ])('%s: the same bytes as the plain form', (_name, req, stream) => {
    const sent = passthroughBody(req, 'engine-model', stream, cfg);
    expect(sent).toBe(plain(req, 'engine-model', stream));
    expect(JSON.parse(sent)).toMatchObject({ model: 'engine-model', stream, ...(stream ? { stream_options: { include_usage: true } } : {}) });
  });
});
