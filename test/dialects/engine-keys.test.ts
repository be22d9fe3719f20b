/**
 * The key check of shared/json-body.ts on its own: a body is accepted only when Go's
 * encoding/json (Ollama's decoder) reads from it what the gateway read, and bodies with honest
 * case-variant names where the engine keeps keys as they are (tool parameters, options, format
 * schemas) are not refused. Generated spellings: any case, ſ/K, `\uXXXX` escapes, duplicates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engineShapeFor, OPENAI_CHAT_FIELDS, OPENAI_COMPLETION_FIELDS, OPENAI_EMBEDDING_FIELDS, OPENAI_MESSAGE_FIELDS } from '../../shared/engine-shapes.ts';
import { parseJsonBody } from '../../shared/json-body.ts';
import { requestedModel } from '../../shared/model-allow-list.ts';
import { chatCompletionRequestSchema, chatMessageSchema, completionRequestSchema, embeddingRequestSchema } from '../../shared/schemas/openai.ts';
import { goReads, keyLiteral, objectText, spelledKey } from '../helpers/key-spellings.ts';

const chat = engineShapeFor('/api/chat');
const ALLOWED = '"tiny-chat"';
const FORBIDDEN = '"tiny-repeat"';
/** Go's fold, written a third way for the oracle: ASCII letters and ſ/K to lower case. */
const fold = (k: string) => k.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').replace(/[A-Z]/g, (c) => c.toLowerCase());
const CHAT_FIELDS = ['model', 'messages', 'stream', 'format', 'keep_alive', 'tools', 'options', 'think', 'truncate', 'shift', '_debug_render_only', 'logprobs', 'top_logprobs'];
const MESSAGE_FIELDS = ['role', 'content', 'thinking', 'images', 'tool_calls', 'tool_name', 'tool_call_id'];

/** Whether an object with `keys` is ambiguous to the engine: two keys folding together, or (a struct with `fields`) a field misspelled. */
function ambiguous(keys: string[], fields: string[] | null): boolean {
  const folds = keys.map(fold);
  if (new Set(folds).size !== folds.length) return true;
  return fields !== null && keys.some((k) => fields.some((f) => fold(f) === fold(k) && f !== k));
}

type Entry = { key: string; literal: string; value: string };
const entry = (name: string, value: fc.Arbitrary<string>) => fc.tuple(spelledKey(name), value).map(([k, v]): Entry => ({ ...k, value: v }));

/** An /api/chat body with sneaked spellings of `model` and `stream` at the top, in the message and in `options`. */
const chatBody = fc
  .record({
    sneaks: fc.array(entry('model', fc.constant(FORBIDDEN)), { maxLength: 2 }),
    streams: fc.array(entry('stream', fc.constantFrom('true', 'false')), { maxLength: 2 }),
    inMessage: fc.array(fc.oneof(entry('role', fc.constant('"system"')), entry('content', fc.constant('"other"')), entry('model', fc.constant(FORBIDDEN))), { maxLength: 2 }),
    inOptions: fc.array(fc.oneof(entry('model', fc.constant(FORBIDDEN)), entry('temperature', fc.constant('1')), entry('num_predict', fc.constant('2'))), { maxLength: 3 }),
    order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  })
  .map((g) => {
    const message: Entry[] = [{ key: 'role', literal: '"role"', value: '"user"' }, { key: 'content', literal: '"content"', value: '"hi"' }, ...g.inMessage];
    const top: Entry[] = [
      { key: 'model', literal: keyLiteral('model'), value: ALLOWED },
      { key: 'messages', literal: '"messages"', value: `[${objectText(message.map((e) => [e.literal, e.value]))}]` },
      ...(g.inOptions.length ? [{ key: 'options', literal: '"options"', value: objectText(g.inOptions.map((e) => [e.literal, e.value])) }] : []),
      ...g.sneaks,
      ...g.streams,
    ];
    // Any order: the sneaked key before or after the real one.
    const ordered = top.map((e, i) => ({ e, w: g.order[i % g.order.length]! + i / 100 })).sort((a, b) => a.w - b.w).map((x) => x.e);
    const expectRefused =
      ambiguous(
        ordered.map((e) => e.key),
        CHAT_FIELDS,
      ) ||
      ambiguous(
        message.map((e) => e.key),
        MESSAGE_FIELDS,
      ) ||
      ambiguous(
        g.inOptions.map((e) => e.key),
        null,
      );
    return { text: objectText(ordered.map((e) => [e.literal, e.value])), expectRefused };
  });

describe('the key check (shared/json-body.ts)', () => {
  it('refuses the sneaked model of issue 19 and its variants, naming the key', () => {
    for (const text of ['{"model":"tiny-chat","Model":"tiny-repeat"}', '{"model":"tiny-chat","\\u004dodel":"tiny-repeat"}', '{"Model":"tiny-repeat","model":"tiny-chat"}', '{"model":"tiny-repeat","model":"tiny-chat"}', '{"model":"tiny-chat","MODEL":"tiny-repeat"}']) {
      const r = parseJsonBody(text, chat);
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe('ambiguous_key');
        expect(r.field).toMatch(/^(model|Model|MODEL)$/);
        expect(r.message).toContain(r.field!);
      }
    }
  });

  it('refuses a lone misspelled field where the engine decodes a struct, with its path', () => {
    const cases: Array<[string, string]> = [
      ['{"model":"m","\u017ftream":false}', '\u017ftream'],
      ['{"model":"m","OPTIONS":{"num_ctx":1}}', 'OPTIONS'],
      ['{"model":"m","messages":[{"role":"user","content":"a"},{"Role":"system","content":"b"}]}', 'messages[1].Role'],
      ['{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","Properties":{}}}}]}', 'tools[0].function.parameters.Properties'],
      ['{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"string","de\u017fcription":"d"}}}}}]}', 'tools[0].function.parameters.properties.x.de\u017fcription'],
      ['{"model":"m","\u212aeep_alive":-1}', '\u212aeep_alive'],
    ];
    for (const [text, field] of cases) {
      const r = parseJsonBody(text, chat);
      expect(r.ok ? null : r.field, text).toBe(field);
    }
  });

  it('accepts honest names that differ in case from an engine field where the engine keeps keys as they are', () => {
    const body = {
      model: 'm',
      messages: [{ role: 'user', content: 'hi', tool_calls: [{ function: { name: 'f', arguments: { Name: 'x', Index: 1, Function: 2 } } }] }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { Name: { type: 'string' }, Type: { type: 'object', properties: { Model: { type: 'string' } } } }, required: ['Name'] } } }],
      options: { Temperature: 1 },
      format: { type: 'object', properties: { Model: { type: 'string' }, Stream: { type: 'boolean' } } },
    };
    expect(parseJsonBody(JSON.stringify(body), chat)).toEqual({ ok: true, value: body });
    // Other routes' own maps: Anthropic tool inputs, OpenAI JSON schemas.
    expect(parseJsonBody('{"model":"m","tools":[{"name":"t","input_schema":{"type":"object","properties":{"Type":{"type":"string"}}}}]}', engineShapeFor('/v1/messages')).ok).toBe(true);
    expect(parseJsonBody('{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"Model":1}}}}', engineShapeFor('/v1/chat/completions')).ok).toBe(true);
  });

  it('checks every route, and duplicates in any body, at the edge and origin alike', () => {
    expect(parseJsonBody('{"model":"m","Model":"x","input":"a"}', engineShapeFor('/api/embed')).ok).toBe(false);
    expect(parseJsonBody('{"model":"m","messages":[{"role":"user","content":"x"}],"Max_Tokens":9}', engineShapeFor('/v1/chat/completions')).ok).toBe(false);
    expect(parseJsonBody('{"documents":[{"id":"a","id":"b"}]}', engineShapeFor('/v1/collections/x/documents')).ok).toBe(false);
    // Escaped quotes and backslashes inside strings do not confuse the scan.
    expect(parseJsonBody('{"model":"m","x":"\\\\","y":"\\"Model\\":1"}', chat).ok).toBe(true);
  });

  it('keeps the OpenAI field lists in step with the schemas the gateway validates with', () => {
    expect(new Set(OPENAI_CHAT_FIELDS)).toEqual(new Set(Object.keys(chatCompletionRequestSchema.shape)));
    expect(new Set(OPENAI_COMPLETION_FIELDS)).toEqual(new Set(Object.keys(completionRequestSchema.shape)));
    expect(new Set(OPENAI_EMBEDDING_FIELDS)).toEqual(new Set(Object.keys(embeddingRequestSchema.shape)));
    expect(new Set(OPENAI_MESSAGE_FIELDS)).toEqual(new Set(Object.keys(chatMessageSchema.shape)));
  });

  it('property: what Go reads from an accepted body is what the gateway validated (5,000 generated /api/chat bodies)', () => {
    fc.assert(
      fc.property(chatBody, ({ text, expectRefused }) => {
        const r = parseJsonBody(text, chat);
        expect(!r.ok, text).toBe(expectRefused);
        if (!r.ok) return;
        const value = r.value as Record<string, unknown>;
        // What the origin forwards: the parsed value, serialised again.
        const forwarded = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
        const named = requestedModel(value);
        expect(named.ok && named.model).toBe('tiny-chat');
        expect(goReads(forwarded, 'model')).toBe('tiny-chat');
        expect(goReads(forwarded, 'stream')).toBe(value.stream);
        const msg = (forwarded.messages as Array<Record<string, unknown>>)[0]!;
        expect([goReads(msg, 'role'), goReads(msg, 'content')]).toEqual([(value.messages as Array<Record<string, unknown>>)[0]!.role, (value.messages as Array<Record<string, unknown>>)[0]!.content]);
      }),
      { numRuns: 5_000, seed: 0x19 },
    );
  });
});
