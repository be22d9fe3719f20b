import { describe, expect, it } from 'vitest';
import { addKey, putTenant, setKeyStatus } from '../../../edge/cli/tenants-file.ts';
import { checkKey, constantTimeEqual, generateKey, hashKey, parseKey, type TenantsFile } from '../../../shared/tenants.ts';

describe('tenant keys', () => {
  it('generates keys that parse, and refuses anything else', () => {
    const { keyId, key } = generateKey();
    expect(key).toMatch(/^pk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(parseKey(key)).toEqual({ keyId, raw: key });
    for (const bad of ['', 'sk-abc', 'pk_short_x', key + 'x', key.replace('pk_', 'pk-'), key.slice(0, -1)]) {
      expect(parseKey(bad)).toBeNull();
    }
  });

  it('stores only hashes and resolves a key to its tenant', async () => {
    const data: TenantsFile = {};
    putTenant(data, { id: 'acme', countries: ['DE'] });
    const { key, record } = await addKey(data, 'acme');
    expect(JSON.stringify(data)).not.toContain(key.slice(16));
    expect(record.hash).toBe(await hashKey(key));
    const get = (k: string) => data[k] ?? null;
    const ok = await checkKey(get, key);
    expect(ok.ok && ok.value.tenant.id).toBe('acme');
    expect(ok.ok && ok.value.tenant.rateLimit).toEqual({ requests: 600, windowSeconds: 60 });

    const other = generateKey().key;
    expect(await checkKey(get, other)).toEqual({ ok: false, reason: 'unknown' });
    // Right key id, wrong secret.
    const wrongSecret = key.slice(0, 16) + 'A'.repeat(43);
    expect(await checkKey(get, wrongSecret)).toEqual({ ok: false, reason: 'unknown' });
    expect(await checkKey(get, 'sk-123')).toEqual({ ok: false, reason: 'malformed' });

    setKeyStatus(data, record.id, 'revoked');
    expect(await checkKey(get, key)).toEqual({ ok: false, reason: 'revoked' });
    setKeyStatus(data, record.id, 'active');
    putTenant(data, { id: 'acme', status: 'suspended' });
    expect(await checkKey(get, key)).toEqual({ ok: false, reason: 'suspended' });
  });

  it('validates tenant records with messages that name the field', () => {
    expect(() => putTenant({}, { id: 'Bad Id' })).toThrow(/tenant field 'id'/);
    expect(() => putTenant({}, { id: 'ok-id', rateLimit: { requests: 5, windowSeconds: 30 as 60 } })).toThrow(/10 or 60/);
    expect(() => putTenant({}, { id: 'ok-id', countries: ['de'] })).toThrow(/alpha-2/);
  });

  it('compares in constant time without early exit on length or content', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
