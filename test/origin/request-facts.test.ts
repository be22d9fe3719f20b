/**
 * The one read of a request's body: each client dialect's reader turns it into the facts that
 * the allow-list, the quota's estimate and the handler read (origin/http/request-facts.ts).
 */
import { describe, expect, it } from 'vitest';
import { routeFor, type RouteEntry } from '../../shared/routes.ts';
import { CLIENT_DIALECTS } from '../../origin/dialects/client/index.ts';
import { readFacts } from '../../origin/http/request-facts.ts';
import { tokenEstimate } from '../../origin/quota/estimate.ts';

function factsOf(path: string, body: string) {
  const route = routeFor('POST', path) as RouteEntry;
  const reader = CLIENT_DIALECTS[route.dialect].body(route);
  if (!reader) throw new Error(`no reader for ${path}`);
  return { route, facts: readFacts(body, route, reader, { path, query: (name) => new URLSearchParams(path.split('?')[1] ?? '').get(name) ?? undefined }) };
}

const user = [{ role: 'user', content: 'hola' }];
const cfg = { completionTokens: 256, bytesPerToken: 4 };

describe('request facts, read once by the route’s dialect', () => {
  it.each([
    ['/v1/chat/completions', { model: 'm', messages: user, max_completion_tokens: 7, max_tokens: 9, stream: true }, true, 7],
    ['/v1/chat/completions', { model: 'm', messages: user, max_tokens: 9 }, false, 9],
    ['/v1/completions', { model: 'm', prompt: 'x', max_tokens: 5, stream: true }, true, 5],
    ['/v1/responses', { model: 'm', input: 'x', max_output_tokens: 6 }, false, 6],
    ['/v1/messages', { model: 'm', messages: user, max_tokens: 11 }, false, 11],
    ['/api/chat', { model: 'm', messages: user, options: { num_predict: 13 } }, true, 13],
    ['/api/generate', { model: 'm', prompt: 'x', stream: false, options: { num_predict: -1 } }, false, undefined],
    ['/api/embed', { model: 'm', input: ['a', 'b'] }, false, undefined],
  ])('%s: stream and the token cap from the dialect’s own fields', (path, body, stream, maxTokens) => {
    const text = JSON.stringify(body);
    const { route, facts } = factsOf(path, text);
    expect(facts.body.ok).toBe(true);
    expect(facts.named).toEqual({ ok: true, model: 'm' });
    expect(facts.stream).toBe(stream);
    expect(facts.maxTokens).toBe(maxTokens);
    expect(facts.bytes).toBe(Buffer.byteLength(text));
    const estimate = tokenEstimate(facts, route, cfg);
    expect(estimate.promptEstimate).toBe(Buffer.byteLength(text) / 4);
    expect(estimate.completionEstimate).toBe(route.metered === 'embedding' ? 0 : (maxTokens ?? 256));
  });

  it('a body the parser refuses names no model and keeps its 400 for the handler', () => {
    const { facts } = factsOf('/v1/chat/completions', '{"model":"a","model":"b","messages":[]}');
    expect(facts.named).toEqual({ ok: true, model: null });
    expect(facts.body.ok).toBe(false);
    if (!facts.body.ok) expect(facts.body.error.code).toBe('ambiguous_key');
  });

  it('a body the schema refuses still names its model and stream for the allow-list and the quota', () => {
    const { facts } = factsOf('/api/chat', JSON.stringify({ model: 'm', messages: 'not a list' }));
    expect(facts.named).toEqual({ ok: true, model: 'm' });
    expect(facts.stream).toBe(true);
    expect(facts.maxTokens).toBeUndefined();
    expect(facts.body.ok).toBe(false);
    if (!facts.body.ok) expect(facts.body.error.param).toBe('messages');
  });

  it('a model field that names nothing is told to the allow-list as such', () => {
    const { facts } = factsOf('/v1/chat/completions', JSON.stringify({ model: 42, messages: user }));
    expect(facts.named).toMatchObject({ ok: false, field: 'model' });
  });
});
