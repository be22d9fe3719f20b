/**
 * The allow-list the edge sends with POST /v1/batches is signed: the origin applies it to each
 * line, so it must not be removable or widened on the way. Requests without it sign as before.
 */
import { describe, expect, it } from 'vitest';
import { EDGE_HEADERS, importSigningKey, signOutgoing, verify, type SignedFields } from '../../shared/signing.ts';

const SECRET = 'k'.repeat(40);

describe('the signed model allow-list', () => {
  it('verifies as sent, and fails when widened or dropped', async () => {
    const key = await importSigningKey(SECRET);
    const h = await signOutgoing(key, { method: 'POST', path: '/v1/batches', body: '{}', tenant: 'acme', requestId: 'req_sign_models_1', models: 'llama3.2:3b,nomic-embed-text' });
    expect(h[EDGE_HEADERS.models]).toBe('llama3.2:3b,nomic-embed-text');
    const fields: SignedFields = {
      method: 'POST',
      path: '/v1/batches',
      timestamp: Number(h[EDGE_HEADERS.timestamp]),
      nonce: h[EDGE_HEADERS.nonce]!,
      tenant: 'acme',
      requestId: 'req_sign_models_1',
      bodyDigest: h[EDGE_HEADERS.bodyDigest]!,
      models: 'llama3.2:3b,nomic-embed-text',
    };
    const sig = h[EDGE_HEADERS.signature]!;
    expect(await verify(key, fields, sig)).toBe(true);
    expect(await verify(key, { ...fields, models: 'llama3.2:3b,nomic-embed-text,gpt-oss:120b' }, sig)).toBe(false);
    expect(await verify(key, { ...fields, models: undefined }, sig)).toBe(false);
  });

  it('a request without an allow-list signs exactly as before (no header, no extra line)', async () => {
    const key = await importSigningKey(SECRET);
    const h = await signOutgoing(key, { method: 'POST', path: '/v1/chat/completions', body: '{}', tenant: 'acme', requestId: 'req_sign_models_2' });
    expect(h[EDGE_HEADERS.models]).toBeUndefined();
  });
});
