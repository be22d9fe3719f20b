/**
 * Items 3 and 4 of the hardening issue, and the broken clients of the hostile suite: clients
 * that never read, send headers or bodies a byte at a time, or vanish at random. Each must cost
 * the origin a bounded time and leave nothing behind: engine slots, queue and quota leases back
 * at zero (read from /admin, as an operator would), the simulator's own in-flight count at zero,
 * and other clients served meanwhile. Against a keys-mode origin with Redis-backed quotas.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../sim/text.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { bearer, openRaw, rawRequest, startTarget, type Target } from './harness.ts';
import { tally } from './tally.ts';

const ADMIN = 'a'.repeat(40);
const STALL_MS = 1_500;
const HEADERS_MS = 1_000;
const RECEIVE_MS = 2_500;


let lastState = '';
async function until(what: string, cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await cond())) throw new Error(`not within ${ms} ms: ${what} (${lastState})`);
}

describe('slow, stalled and vanishing clients (keys-mode origin, Redis quotas)', () => {
  let redis: RedisServer;
  let t: Target;
  const lines: string[] = [];

  const admin = async <T>(path: string): Promise<T> => (await rawRequest(t.url, { path: `/admin/${path}`, headers: { authorization: `Bearer ${ADMIN}` } })).json as T;
  const simStats = async () => (await (await fetch(`${t.origin.sim.url}/_sim/stats`)).json()) as { inFlight: number };
  /** Slots, queue, leases and the engine's own in-flight count, all back at zero. */
  const idle = async (): Promise<boolean> => {
    const gates = (await admin<{ gates: Array<{ active: number; queued: number }> }>('admission')).gates;
    const quota = await admin<{ activeLeases: number }>('quota');
    const engine = (await simStats()).inFlight;
    lastState = JSON.stringify({ gates: gates.map((g) => [g.active, g.queued]), leases: quota.activeLeases, engine });
    return gates.every((g) => g.active === 0 && g.queued === 0) && quota.activeLeases === 0 && engine === 0;
  };

  beforeAll(async () => {
    redis = await startRedis();
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    t = await startTarget('origin-keys', {
      origin: {
        redis: { url: redis.url },
        quota: { store: 'redis', defaults: { concurrentStreams: 50, tokensPerMinute: 100_000_000 } },
        admin: { token: ADMIN },
        admission: { defaultSlots: 2 },
        server: { headersTimeoutMs: HEADERS_MS, requestReceiveTimeoutMs: RECEIVE_MS },
        stream: { writeStallMs: STALL_MS, keepaliveMs: 500 },
      },
      sim: { timeScale: 0.01 },
      logger: pino({ level: 'info' }, sink),
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.close();
  });

  it('a client that never reads is cut off after stream.writeStallMs: upstream aborted, slot and lease freed, outcome client_stalled', { timeout: 90_000 }, async () => {
    const count = tally('never-reading clients');
    const body = (path: string) =>
      path === '/api/generate'
        ? JSON.stringify({ model: 'llama3.2:3b', prompt: 'go on [[sim:tokens=400000]]', stream: true })
        : JSON.stringify({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: 'go on [[sim:tokens=400000]]' }] });
    const started = Date.now();
    // As many stalled readers as the model has slots: before the limit existed, they held them all.
    // Two tenants, one each: a tenant alone holds at most half of them (admission.tenantShare).
    const stalled = (['/api/generate', '/v1/chat/completions'] as const).map((path, i) => {
      const b = body(path);
      const c = openRaw(t.url, `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${i ? t.keys.models : t.keys.open}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`);
      c.socket.pause();
      return c;
    });
    count.tried += stalled.length;
    // Both are generating first: read before they reach the engine, the gates would look idle.
    await until('both stalled streams generating on the engine', async () => (await simStats()).inFlight === stalled.length, 10_000);
    // Filling the socket buffers takes a few MB of tokens; then writeStallMs; then all is freed.
    await until('stalled clients cut off: slots, queue, leases and engine back at zero', idle, 40_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(STALL_MS);
    // The server dropped the connections: once the client reads again, it finds the end at once.
    for (const c of stalled) c.socket.resume();
    await Promise.race([Promise.all(stalled.map((c) => c.closed)), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('a stalled connection was left open')), 10_000))]);
    const outcomes = lines.filter((l) => l.includes('"outcome":"client_stalled"'));
    expect(outcomes.length).toBe(stalled.length);
    count.held += stalled.length;
    // And the model serves the next client at once.
    const next = await rawRequest(t.url, { method: 'POST', path: '/api/generate', headers: bearer(t.keys.open), body: JSON.stringify({ model: 'llama3.2:3b', prompt: 'hi', stream: false }) });
    expect(next.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it(`slow headers get 408 and a closed connection within server.headersTimeoutMs (${HEADERS_MS} ms)`, async () => {
    const count = tally('slow headers');
    const clients = Array.from({ length: 3 }, () => {
      const c = openRaw(t.url, 'POST /api/chat HTTP/1.1\r\nHost: x\r\n');
      const timer = setInterval(() => c.socket.write('X-Slow: 1\r\n'), 200);
      void c.closed.then(() => clearInterval(timer));
      return c;
    });
    count.tried += clients.length;
    const after = await Promise.all(clients.map((c) => c.closed));
    for (const [i, c] of clients.entries()) {
      expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
      expect(after[i]!).toBeLessThan(HEADERS_MS + 2_500);
    }
    count.held += clients.length;
    expect(await idle()).toBe(true);
  });

  it(`a 1-byte-per-200-ms body gets 408 and a closed connection within server.requestReceiveTimeoutMs (${RECEIVE_MS} ms), leaving nothing held`, async () => {
    const count = tally('slow bodies');
    const body = JSON.stringify({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: 'x'.repeat(200) }] });
    const clients = ['/api/chat', '/v1/chat/completions', '/api/embed'].map((path) => {
      const c = openRaw(t.url, `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.keys.open}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      let i = 0;
      const timer = setInterval(() => c.socket.write(body[i++] ?? ' '), 200);
      void c.closed.then(() => clearInterval(timer));
      return c;
    });
    count.tried += clients.length;
    const after = await Promise.all(clients.map((c) => c.closed));
    for (const ms of after) expect(ms).toBeLessThan(RECEIVE_MS + 3_000);
    await until('nothing held after slow bodies', idle, 5_000);
    count.held += clients.length;
    // The server is still answering.
    expect((await rawRequest(t.url, { path: '/api/version', headers: bearer(t.keys.open) })).status).toBe(200);
  });

  it('random disconnects (seeded) leave slots, queue, leases and the engine at zero', { timeout: 60_000 }, async () => {
    const count = tally('random disconnects');
    const random = mulberry32(0x5eed);
    const paths = ['/api/chat', '/api/generate', '/v1/chat/completions', '/v1/completions', '/api/embed', '/v1/embeddings'];
    const tasks: Array<Promise<void>> = [];
    for (let i = 0; i < 40; i++) {
      const path = paths[Math.floor(random() * paths.length)]!;
      const stream = random() < 0.7;
      const text = `hello ${i} [[sim:tokens=${50 + Math.floor(random() * 2_000)}]]`;
      const body = path.includes('embed')
        ? { model: 'nomic-embed-text', input: [text, text] }
        : path.endsWith('completions') && !path.includes('chat')
          ? { model: 'llama3.2:3b', prompt: text, stream }
          : path === '/api/generate'
            ? { model: 'llama3.2:3b', prompt: text, stream }
            : { model: 'llama3.2:3b', stream, messages: [{ role: 'user', content: text }] };
      const b = JSON.stringify(body);
      const cutAt = Math.floor(random() * 400);
      // Some vanish mid-request (half the body sent), the rest after `cutAt` ms of the answer.
      const half = random() < 0.2;
      tasks.push(
        new Promise<void>((resolve) => {
          const c = openRaw(t.url, `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.keys.open}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${half ? b.slice(0, b.length >> 1) : b}`);
          setTimeout(() => c.socket.destroy(), cutAt);
          void c.closed.then(() => resolve());
        }),
      );
      count.tried++;
    }
    await Promise.all(tasks);
    await until('slots, queue, leases and engine back at zero after random disconnects', idle, 15_000);
    count.held += 40;
  });
});
