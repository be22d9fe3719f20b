/**
 * docs/wire-contracts.md's table of error words per dialect is the code's: each row's fault is
 * rendered by each dialect's error shape (shared/dialects/) and must read as the table says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_SHAPES, errorResponse } from '../../shared/dialects/errors.ts';
import { errors, PuertaError } from '../../shared/errors.ts';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/wire-contracts.md'), 'utf8');

/** The table's rows: fault, status, OpenAI type, Anthropic type, Responses code, Ollama. */
const rows = doc
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.startsWith('|') && !l.startsWith('| ---') && !l.startsWith('| fault'))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
  .filter((c) => c.length === 6);

/** One error of each fault class, as the code raises it. */
const samples: Array<[string, PuertaError]> = [
  ['bad request', errors.badRequest('bad', 'model')],
  ['no or bad key', errors.unauthorized('no key')],
  ['not allowed', errors.forbidden('no')],
  ['unknown model', errors.modelNotFound('x')],
  ['body too large', errors.payloadTooLarge(10)],
  ['rate or quota limit', new PuertaError({ status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'slow down' })],
  ['engine queue full', new PuertaError({ status: 503, type: 'overloaded_error', code: 'queue_full', message: 'busy', retryAfter: 1 })],
  ['engine or origin too slow', errors.upstreamTimeout('slow')],
  ['engine failed', errors.upstreamError('failed')],
];

const word = (cell: string) => /`([^`]+)`/.exec(cell)?.[1];
const dec = new TextDecoder();

describe('docs/wire-contracts.md error table', () => {
  it('has a row for every fault class', () => {
    for (const [label] of samples) expect(rows.some((r) => r[0]!.startsWith(label)), label).toBe(true);
  });

  for (const [label, err] of samples) {
    it(`${label}: each dialect says what the table says`, async () => {
      const row = rows.find((r) => r[0]!.startsWith(label))!;
      const [, status, openai, anthropic, responses] = row;
      if (status === '5xx') expect(err.status).toBeGreaterThanOrEqual(500);
      else expect(status).toContain(String(err.status));
      expect(((await errorResponse('openai', err, 'req_1').json()) as { error: { type: string } }).error.type).toBe(word(openai!));
      const anth = errorResponse('anthropic', err, 'req_1');
      expect(((await anth.json()) as { error: { type: string } }).error.type).toBe(word(anthropic!));
      if (status!.includes('529')) expect(anth.status).toBe(529);
      const code = responses!.startsWith("Puerta's") ? err.code! : word(responses!);
      if (code !== undefined) {
        const frames = dec.decode(ERROR_SHAPES.responses.streamError(err, 'req_1', '"sequence_number":3'));
        const failed = JSON.parse(/event: response.failed\ndata: (.*)\n/.exec(frames)![1]!) as { sequence_number: number; response: { error: { code: string } } };
        expect(failed.response.error.code).toBe(code);
        expect(failed.sequence_number).toBe(4);
      }
    });
  }
});
