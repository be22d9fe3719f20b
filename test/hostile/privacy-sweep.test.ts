/**
 * Issue 10: a privacy sweep. Prompts carrying a unique marker go through every dialect's routes,
 * streamed and not, some answered and some failing (simulator faults, an invalid field), into an
 * origin with its audit file sink (temp dir), its Redis (quotas, usage, audit stream) and its log
 * captured. Afterwards the marker must appear nowhere the origin keeps anything: no log line, no
 * audit file, no Redis key or value of any type.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { bearer, rawRequest, startTarget, type Target } from './harness.ts';
import { tally } from './tally.ts';

const MARKER = `PUERTA-MARKER-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const MODEL = 'llama3.2:3b';
const EMBED = 'nomic-embed-text:latest';

type Body = (prompt: string, stream: boolean) => Record<string, unknown>;
const routes: Array<{ path: string; body: Body; streams: boolean }> = [
  { path: '/v1/chat/completions', streams: true, body: (p, stream) => ({ model: MODEL, stream, messages: [{ role: 'user', content: p }] }) },
  { path: '/v1/completions', streams: true, body: (p, stream) => ({ model: MODEL, stream, prompt: p }) },
  { path: '/v1/embeddings', streams: false, body: (p) => ({ model: EMBED, input: p }) },
  { path: '/v1/messages', streams: true, body: (p, stream) => ({ model: MODEL, stream, max_tokens: 16, messages: [{ role: 'user', content: p }] }) },
  { path: '/v1/responses', streams: true, body: (p, stream) => ({ model: MODEL, stream, input: p }) },
  { path: '/api/chat', streams: true, body: (p, stream) => ({ model: MODEL, stream, messages: [{ role: 'user', content: p }] }) },
  { path: '/api/generate', streams: true, body: (p, stream) => ({ model: MODEL, stream, prompt: p }) },
  { path: '/api/embed', streams: false, body: (p) => ({ model: EMBED, input: p }) },
];

/** What each request adds to the prompt: a normal answer, engine faults before and after the first byte. */
const directives = ['[[sim:tokens=4]]', '[[sim:fault=status,status=500]]', '[[sim:fault=error,after=2]]', '[[sim:fault=status,status=400]]'];

async function redisDump(url: string): Promise<string[]> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const k of keys) {
        const type = await r.type(k);
        let value: unknown;
        if (type === 'string') value = await r.get(k);
        else if (type === 'hash') value = await r.hgetall(k);
        else if (type === 'list') value = await r.lrange(k, 0, -1);
        else if (type === 'set') value = await r.smembers(k);
        else if (type === 'zset') value = await r.zrange(k, '0', '-1', 'WITHSCORES');
        else if (type === 'stream') value = await r.xrange(k, '-', '+');
        else value = `(unread type ${type})`;
        out.push(`${k} ${type} ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('privacy sweep: a marked prompt leaves no trace in logs, audit files or Redis', () => {
  let redis: RedisServer;
  let target: Target | undefined;
  let auditDir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    auditDir = mkdtempSync(join(tmpdir(), 'puerta-privacy-audit-'));
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    target = await startTarget('origin-keys', {
      logger: pino({ level: 'debug' }, sink),
      origin: {
        redis: { url: redis.url },
        quota: { store: 'redis' },
        audit: { batchWindowMs: 10, file: { dir: auditDir, fsync: false }, redis: { url: redis.url, region: 'local' } },
      },
    });
  });
  afterAll(async () => {
    await target?.close();
    await redis?.close();
    rmSync(auditDir, { recursive: true, force: true });
  });

  it('sends the marker through every dialect, streamed and not, answered and failing', async () => {
    const count = tally('privacy sweep');
    const t = target!;
    const statuses: string[] = [];
    for (const route of routes) {
      for (const stream of route.streams ? [false, true] : [false]) {
        for (const d of directives) {
          const r = await rawRequest(t.url, {
            method: 'POST',
            path: route.path,
            headers: bearer(t.keys.open),
            body: JSON.stringify(route.body(`remember ${MARKER} please ${d}`, stream)),
          });
          statuses.push(`${route.path} ${stream ? 'stream' : 'json'} ${d} → ${r.status}`);
          count.tried++;
        }
        // Invalid fields (a numeric model, a text temperature) next to the marker: refused at the boundary, still nothing kept.
        const bad = await rawRequest(t.url, {
          method: 'POST',
          path: route.path,
          headers: bearer(t.keys.open),
          body: JSON.stringify({ ...route.body(`remember ${MARKER}`, stream), model: 42, temperature: `hot ${MARKER}` }),
        });
        statuses.push(`${route.path} ${stream ? 'stream' : 'json'} invalid → ${bad.status}`);
        expect(bad.status, `${route.path}: ${bad.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        count.tried++;
        // An unknown model with the marker in the prompt, and one whose very name is the marker
        // (a name nobody serves is the client's free text: written down as "(unlisted)").
        await rawRequest(t.url, { method: 'POST', path: route.path, headers: bearer(t.keys.open), body: JSON.stringify({ ...route.body(`remember ${MARKER}`, stream), model: 'no-such-model:1b' }) });
        const named = await rawRequest(t.url, { method: 'POST', path: route.path, headers: bearer(t.keys.open), body: JSON.stringify({ ...route.body('hola', stream), model: `secret ${MARKER} ${stream}` }) });
        expect(named.status, `${route.path}: ${named.text.slice(0, 200)}`).toBe(404);
        count.tried += 2;
      }
    }
    // Some requests must have succeeded, or the sweep proves nothing.
    expect(statuses.filter((s) => s.endsWith('→ 200')).length, statuses.join('\n')).toBeGreaterThan(8);

    // Closing the origin flushes the audit sinks and the log.
    await t.close();
    target = undefined;

    const logHits = lines.filter((l) => l.includes(MARKER));
    expect(logHits, 'log lines carrying the marker').toEqual([]);
    expect(lines.length, 'the log was captured').toBeGreaterThan(0);

    const files = filesUnder(auditDir);
    expect(files.length, 'the audit file sink wrote something').toBeGreaterThan(0);
    const auditText = files.map((f) => readFileSync(f, 'utf8')).join('');
    // The scanners look at real records: the audit trail names the tenant of these requests.
    expect(auditText).toContain('open-co');
    const fileHits = files.filter((f) => readFileSync(f, 'latin1').includes(MARKER));
    expect(fileHits, 'audit files carrying the marker').toEqual([]);

    const dump = await redisDump(redis.url);
    expect(dump.length, 'Redis holds the quota/usage/audit state').toBeGreaterThan(0);
    expect(dump.join('\n'), 'Redis holds records of these requests').toContain('open-co');
    expect(dump.filter((e) => e.includes(MARKER)), 'Redis entries carrying the marker').toEqual([]);
    count.held = count.tried;
  });
});
