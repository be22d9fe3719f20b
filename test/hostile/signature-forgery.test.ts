/**
 * Issue 10: forging the edge's signature. An origin in `auth.mode: edge` (real origin, real
 * simulator, loopback) is sent requests signed the way the edge signs them and then altered one
 * fact at a time: wrong secret, a signed header dropped or filled with garbage, the signature or
 * body tampered, path/method/tenant/country/request id swapped, a timestamp past the skew window
 * either way, a replayed nonce, another request's signature. Every one must be refused with 401;
 * a correctly signed control request must pass (before and after the attacks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyDigest, EDGE_HEADERS, importSigningKey, newNonce, signedHeaders, type SignedFields } from '../../shared/signing.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { rawRequest, type RawResponse } from './harness.ts';
import { tally } from './tally.ts';

const SECRET = 'k'.repeat(20) + 'forgery-suite-secret-0123456789';
const OTHER_SECRET = 'x'.repeat(20) + 'not-the-origin-secret-987654321';
const SKEW = 60_000;
const PATH = '/v1/chat/completions';

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

describe('edge signature forgery against an auth.mode=edge origin', () => {
  let s: OriginStack;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  let seq = 0;
  beforeAll(async () => {
    s = await startOriginStack({ origin: { auth: { mode: 'edge', edgeSecret: SECRET, maxSkewMs: SKEW } } });
    key = await importSigningKey(SECRET);
    otherKey = await importSigningKey(OTHER_SECRET);
  });
  afterAll(async () => {
    await s?.close();
  });

  const chatBody = (text = 'hello') => JSON.stringify({ model: 'llama3.2:3b', stream: false, messages: [{ role: 'user', content: `${text} [[sim:tokens=2]]` }] });

  /** A request signed exactly as the edge signs it, with `over` changing the signed facts. */
  async function signed(over: Partial<SignedFields> & { body?: string; signKey?: CryptoKey } = {}): Promise<Req> {
    const body = over.body ?? chatBody();
    const fields: SignedFields = {
      method: over.method ?? 'POST',
      path: over.path ?? PATH,
      timestamp: over.timestamp ?? Date.now(),
      nonce: over.nonce ?? newNonce(),
      tenant: over.tenant ?? 'acme',
      requestId: over.requestId ?? `req_forgery_${++seq}_${Date.now()}`,
      bodyDigest: over.bodyDigest ?? (await bodyDigest(new TextEncoder().encode(body))),
      country: 'country' in over ? over.country : 'DE',
      pop: 'pop' in over ? over.pop : 'FRA',
    };
    const headers = await signedHeaders(over.signKey ?? key, fields);
    return { method: fields.method, path: fields.path, body, headers: { ...headers, 'x-request-id': fields.requestId, 'content-type': 'application/json' } };
  }

  const send = (r: Req): Promise<RawResponse> => rawRequest(s.origin.url, { method: r.method, path: r.path, headers: r.headers, ...(r.method === 'GET' ? {} : { body: r.body ?? '' }) });
  const without = (h: Record<string, string>, name: string) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== name));

  it('passes a correctly signed control request', async () => {
    const r = await send(await signed());
    expect(r.status, r.text).toBe(200);
  });

  it('refuses every forged or altered request with 401', async () => {
    const count = tally('signature forgery');
    const forged: Array<[string, Req, number[]]> = [];
    const add = (name: string, r: Req, refusedWith = [401]) => forged.push([name, r, refusedWith]);

    add('wrong secret', await signed({ signKey: otherKey }));
    for (const name of [EDGE_HEADERS.signature, EDGE_HEADERS.tenant, EDGE_HEADERS.timestamp, EDGE_HEADERS.nonce, EDGE_HEADERS.bodyDigest, EDGE_HEADERS.country, EDGE_HEADERS.pop, 'x-request-id']) {
      const r = await signed();
      add(`missing ${name}`, { ...r, headers: without(r.headers, name) });
    }
    {
      const r = await signed();
      const sig = r.headers[EDGE_HEADERS.signature]!;
      const flipped = sig.slice(0, -2) + (sig.at(-2) === 'A' ? 'B' : 'A') + sig.at(-1);
      add('signature: one character changed', { ...r, headers: { ...r.headers, [EDGE_HEADERS.signature]: flipped } });
      const r2 = await signed();
      add('signature: truncated', { ...r2, headers: { ...r2.headers, [EDGE_HEADERS.signature]: r2.headers[EDGE_HEADERS.signature]!.slice(0, -4) } });
      const r3 = await signed();
      add('signature: other scheme', { ...r3, headers: { ...r3.headers, [EDGE_HEADERS.signature]: r3.headers[EDGE_HEADERS.signature]!.replace(/^v1=/, 'v2=') } });
    }
    {
      const r = await signed({ body: chatBody('original') });
      add('body changed after signing', { ...r, body: chatBody('changed') });
      const r2 = await signed({ body: chatBody('original') });
      add('body and digest header changed after signing', {
        ...r2,
        body: chatBody('changed'),
        headers: { ...r2.headers, [EDGE_HEADERS.bodyDigest]: await bodyDigest(new TextEncoder().encode(chatBody('changed'))) },
      });
      const r3 = await signed({ body: chatBody('original') });
      add('body extended after signing', { ...r3, body: r3.body + ' ' });
    }
    {
      const r = await signed();
      add('path swapped', { ...r, path: '/v1/completions' });
      const r2 = await signed();
      add('query added', { ...r2, path: `${PATH}?stream=true` });
      const r3 = await signed();
      // No route answers the upper-cased path, so it is refused as not found before auth runs.
      add('path case changed', { ...r3, path: PATH.toUpperCase() }, [401, 404]);
      const r4 = await signed({ method: 'POST', path: '/v1/models', body: '' });
      add('method swapped (POST signed, GET sent)', { ...r4, method: 'GET' });
      const r5 = await signed();
      add('tenant swapped', { ...r5, headers: { ...r5.headers, [EDGE_HEADERS.tenant]: 'other-co' } });
      const r6 = await signed();
      add('country swapped', { ...r6, headers: { ...r6.headers, [EDGE_HEADERS.country]: 'US' } });
      const r7 = await signed();
      add('pop swapped', { ...r7, headers: { ...r7.headers, [EDGE_HEADERS.pop]: 'IAD' } });
      const r8 = await signed();
      add('request id swapped', { ...r8, headers: { ...r8.headers, 'x-request-id': 'req_someone_else' } });
      const r9 = await signed({ country: undefined });
      add('country added to a request signed without one', { ...r9, headers: { ...r9.headers, [EDGE_HEADERS.country]: 'DE' } });
      const r10 = await signed();
      add('timestamp header moved by 1 ms', { ...r10, headers: { ...r10.headers, [EDGE_HEADERS.timestamp]: String(Number(r10.headers[EDGE_HEADERS.timestamp]) + 1) } });
      const r11 = await signed();
      add('nonce swapped', { ...r11, headers: { ...r11.headers, [EDGE_HEADERS.nonce]: newNonce() } });
    }
    add('timestamp past the skew window (past)', await signed({ timestamp: Date.now() - SKEW - 5_000 }));
    add('timestamp past the skew window (future)', await signed({ timestamp: Date.now() + SKEW + 5_000 }));
    {
      // Another request's signature, headers and all, on a different body and path.
      const a = await signed({ body: chatBody('request A') });
      const b = await signed({ body: chatBody('request B'), path: '/v1/completions' });
      add("another request's signature", { ...b, headers: { ...b.headers, [EDGE_HEADERS.signature]: a.headers[EDGE_HEADERS.signature]! } });
      add("another request's full header set on a different body", { ...b, headers: a.headers });
    }
    const garbage = ['', ' ', 'garbage', 'v1=', 'v1=%%%%', 'v1=' + 'A'.repeat(43) + '\u00e9', '0', '-1', 'NaN', 'Infinity', '1e400', '../../etc', 'a'.repeat(4096), 'x\tx'];
    for (const name of [EDGE_HEADERS.signature, EDGE_HEADERS.tenant, EDGE_HEADERS.timestamp, EDGE_HEADERS.nonce, EDGE_HEADERS.bodyDigest, EDGE_HEADERS.country, EDGE_HEADERS.pop, 'x-request-id']) {
      for (const g of garbage) {
        const r = await signed();
        // Node's http client refuses non-latin1 header bytes itself; send those as latin1 bytes.
        add(`garbage in ${name}: ${JSON.stringify(g.slice(0, 12))}`, { ...r, headers: { ...r.headers, [name]: Buffer.from(g, 'utf8').toString('latin1') } });
      }
    }

    for (const [name, r, refusedWith] of forged) {
      count.tried++;
      const res = await send(r);
      expect(refusedWith, `${name}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
      count.held++;
    }

    // Replay: a good request passes once, then the identical bytes are refused.
    const once = await signed();
    expect((await send(once)).status).toBe(200);
    count.tried++;
    const again = await send(once);
    expect(again.status, again.text).toBe(401);
    expect(again.json).toMatchObject({ error: { code: 'edge_signature_replayed' } });
    count.held++;
    // The same nonce under a fresh signature (timestamp moved) is still a replay.
    count.tried++;
    const renonce = await signed({ nonce: once.headers[EDGE_HEADERS.nonce]!, requestId: once.headers['x-request-id']! });
    expect((await send(renonce)).status).toBe(401);
    count.held++;

    // Control after the attacks: the origin still serves signed traffic.
    expect((await send(await signed())).status).toBe(200);
  });
});
