import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SigningKey, verifyEdgeHmac } from '../../origin/auth/edge-hmac.ts';
import { canonicalString, type SignedFields } from '../../shared/signing.ts';

/** The origin's HMAC-SHA256 from two one-shot hashes (origin/auth/edge-hmac.ts) is node:crypto's, byte for byte. */
describe('edge signature HMAC', () => {
  const macOf = (key: string, message: string) => {
    const out = Buffer.alloc(32);
    new SigningKey(key).macInto(message, out);
    return out.toString('hex');
  };

  it('matches RFC 4231 test case 2, and createHmac with a key longer than a block (hashed first)', () => {
    expect(macOf('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    const long = '\xaa'.repeat(131);
    // RFC 4231's case 6 key length; a secret is a string, written as UTF-8 (262 bytes here).
    expect(macOf(long, 'Test Using Larger Than Block-Size Key - Hash Key First')).toBe(createHmac('sha256', Buffer.from(long, 'utf8')).update('Test Using Larger Than Block-Size Key - Hash Key First').digest('hex'));
  });

  it('equals createHmac for any key and message (block-sized keys, multi-byte text, messages too long for its buffer)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100, unit: 'binary' }), fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), fc.string({ minLength: 1400, maxLength: 3000 })), (key, message) => {
        expect(macOf(key, message)).toBe(createHmac('sha256', Buffer.from(key, 'utf8')).update(message).digest('hex'));
      }),
      { numRuns: 300 },
    );
    for (const len of [63, 64, 65]) expect(macOf('k'.repeat(len), 'm')).toBe(createHmac('sha256', 'k'.repeat(len)).update('m').digest('hex'));
  });

  it('verifies a signature under any of the rotating secrets, and nothing else', () => {
    const fields: SignedFields = { method: 'POST', path: '/v1/chat/completions', timestamp: 1, nonce: 'n'.repeat(16), tenant: 't', requestId: 'r', bodyDigest: 'd' };
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const header = (secret: string) => `v1=${createHmac('sha256', secret).update(canonicalString(fields)).digest('base64url')}`;
    const keys = [new SigningKey(b), new SigningKey(a)];
    expect(verifyEdgeHmac(keys, fields, header(a))).toBe(true);
    expect(verifyEdgeHmac(keys, fields, header(b))).toBe(true);
    expect(verifyEdgeHmac(keys, fields, header('c'.repeat(32)))).toBe(false);
    expect(verifyEdgeHmac(keys, { ...fields, tenant: 'u' }, header(a))).toBe(false);
    expect(verifyEdgeHmac(keys, fields, header(a).slice(0, -1))).toBe(false);
    expect(verifyEdgeHmac(keys, fields, `v2=${header(a).slice(3)}`)).toBe(false);
  });
});
