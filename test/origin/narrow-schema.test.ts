/**
 * A route's body schema narrowed to the fields the body has (origin/http/narrow-schema.ts) answers
 * exactly as the whole schema: the same value (keys in the same order), the same issues (code,
 * field, message), for every route table body, on bodies made of each schema's own fields with
 * values of any JSON type, valid ones among them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ROUTES } from '../../shared/routes.ts';
import { CLIENT_DIALECTS } from '../../origin/dialects/client/index.ts';
import { narrowedAfresh, schemaForBody } from '../../origin/http/narrow-schema.ts';

function answer(schema: z.ZodType, value: unknown) {
  const r = schema.safeParse(value);
  return r.success ? { ok: JSON.stringify(r.data) } : { issues: r.error.issues.map((i) => ({ code: i.code, path: i.path, message: i.message })) };
}

const schemas = [
  ...new Set(
    ROUTES.filter((r) => r.method === 'POST').flatMap((route) => {
      const reader = CLIENT_DIALECTS[route.dialect].body(route);
      return reader ? [reader.schema as z.ZodType] : [];
    }),
  ),
];

/** Per field: values some schema takes, then values none does. */
const sample: Record<string, [unknown[], unknown[]]> = {
  model: [['m'], ['', 7]],
  stream: [[true, false], ['yes']],
  messages: [[[{ role: 'user', content: 'hola' }], [{ role: 'assistant', content: null, tool_calls: [{ function: { name: 'f', arguments: '{}' } }] }]], [[{ role: 'bot' }], []]],
  prompt: [['x', ['x']], [['x', 'y']]],
  input: [['x', ['a', 'b']], [[1, 2], []]],
  max_tokens: [[5], [0, -1, 2.5]],
  temperature: [[0.5, null], [3]],
  stream_options: [[{ include_usage: true }, null], [{ include_usage: 'yes' }]],
  n: [[1], [2]],
  contents: [[[{ role: 'user', parts: [{ text: 'hola' }] }]], [[]]],
  max_output_tokens: [[16], [-1]],
  options: [[{ num_predict: 5 }], [{ temperature: 'x' }]],
};

const counts: number[] = [];

describe('schema narrowed to the fields a body has', () => {
  it('has schemas to check', () => expect(schemas.length).toBeGreaterThan(3));

  it('answers as the whole schema', () => {
    for (const schema of schemas) {
      const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
      const anyJson = fc.jsonValue({ maxDepth: 2 });
      // Fields with sample values mostly take one, the rest are mostly left out (undefined: not
      // serialised), so many bodies pass and what a field is given by default shows; some of any type.
      const absent = { arbitrary: fc.constant(undefined), weight: 30 };
      const field = (k: string) => {
        const [good, bad] = sample[k] ?? [[], []];
        return good.length ? fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 30 }, fc.constantFrom(...bad), fc.constant(undefined), anyJson) : fc.oneof(absent, anyJson);
      };
      const body = fc.record({ ...Object.fromEntries(Object.keys(shape).map((k) => [k, field(k)])), extra: fc.oneof(absent, anyJson), Model: fc.oneof(absent, anyJson) });
      let passed = 0;
      fc.assert(
        fc.property(fc.oneof({ arbitrary: body, weight: 9 }, fc.jsonValue({ maxDepth: 1 })), (generated) => {
          // As a body arrives: parsed from its text.
          const b = JSON.parse(JSON.stringify(generated)) as unknown;
          const whole = answer(schema, b);
          if ('ok' in whole) passed++;
          expect(answer(narrowedAfresh(schema, b), b)).toEqual(whole);
        }),
        { numRuns: 300 },
      );
      counts.push(passed);
    }
    // Enough of them valid that what a body is given by default is compared too.
    expect(counts.filter((n) => n > 30).length).toBeGreaterThan(schemas.length / 2);
  });

  it('a usual body takes a narrowed schema, kept for the next body with the same fields', () => {
    const chat = CLIENT_DIALECTS['openai-chat'].body(ROUTES.find((r) => r.dialect === 'openai-chat')!)!.schema as z.ZodType;
    const body = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    expect(schemaForBody(chat, body)).not.toBe(chat);
    expect(schemaForBody(chat, body)).toBe(schemaForBody(chat, { ...body }));
    expect(schemaForBody(chat, [body])).toBe(chat);
  });
});
