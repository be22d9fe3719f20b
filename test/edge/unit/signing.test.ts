import { describe, expect, it } from 'vitest';
import { bodyDigest, canonicalString, importSigningKey, newNonce, sign, verify, type SignedFields } from '../../../shared/signing.ts';

const SECRET = 'x'.repeat(40);
const base = async (): Promise<SignedFields> => ({
  method: 'POST',
  path: '/v1/chat/completions?x=1',
  timestamp: 1_700_000_000_000,
  nonce: newNonce(),
  tenant: 'acme',
  requestId: 'req_0123456789',
  bodyDigest: await bodyDigest(new TextEncoder().encode('{"model":"m"}')),
  country: 'DE',
  pop: 'FRA',
});

describe('edge → origin signing', () => {
  it('verifies what it signed and nothing that differs in any signed field', async () => {
    const key = await importSigningKey(SECRET);
    const f = await base();
    const sig = await sign(key, f);
    expect(sig).toMatch(/^v1=[A-Za-z0-9_-]{43}$/);
    expect(await verify(key, f, sig)).toBe(true);
    const tampered: Array<Partial<SignedFields>> = [
      { method: 'GET' },
      { path: '/v1/embeddings' },
      { timestamp: f.timestamp + 1 },
      { nonce: newNonce() },
      { tenant: 'other' },
      { requestId: 'req_other_000' },
      { bodyDigest: await bodyDigest(new TextEncoder().encode('{}')) },
      { country: 'US' },
      { pop: undefined },
    ];
    for (const t of tampered) expect(await verify(key, { ...f, ...t }, sig)).toBe(false);
    expect(await verify(await importSigningKey('y'.repeat(40)), f, sig)).toBe(false);
    expect(await verify(key, f, 'v1=not-base64!')).toBe(false);
    expect(await verify(key, f, 'v2=' + sig.slice(3))).toBe(false);
  });

  it('refuses line breaks in fields (they would shift the canonical lines)', async () => {
    const f = await base();
    expect(() => canonicalString({ ...f, tenant: 'a\nb' })).toThrow(/line break/);
    // Every field, with and without the optional models line, \n or \r.
    for (const models of [undefined, 'm1,m2']) {
      for (const field of ['method', 'path', 'nonce', 'tenant', 'requestId', 'bodyDigest', 'country', 'pop', 'models'] as const) {
        for (const brk of ['\n', '\r']) expect(() => canonicalString({ ...f, models, [field]: `a${brk}b` })).toThrow(/line break/);
      }
    }
    const key = await importSigningKey(SECRET);
    expect(await verify(key, { ...f, pop: 'x\ny' }, await sign(key, f))).toBe(false);
  });

  it('puts one field per line, in the signed order, the models line only when there are models', async () => {
    const f = await base();
    const lines = ['v1', 'POST', f.path, String(f.timestamp), f.nonce, f.tenant, f.requestId, f.bodyDigest, 'DE', 'FRA'];
    expect(canonicalString({ ...f, method: 'post' })).toBe(lines.join('\n'));
    expect(canonicalString({ ...f, models: 'a,b' })).toBe([...lines, 'a,b'].join('\n'));
    expect(canonicalString({ ...f, country: undefined, pop: undefined, models: '' })).toBe([...lines.slice(0, 8), '', ''].join('\n'));
  });

  it('refuses short secrets', async () => {
    await expect(importSigningKey('short')).rejects.toThrow(/at least 32/);
  });

  it('digests the empty body the same way on both sides', async () => {
    expect(await bodyDigest(null)).toBe(await bodyDigest(new Uint8Array(0)));
    expect(await bodyDigest(null)).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });
});
