/**
 * Session affinity that follows the engines' KV cache: a conversation's turns go to the engine
 * that served its last turn while it is healthy and at most `slack` requests busier than the
 * least loaded; shared across replicas through Redis. Two simulated engines behind the origin;
 * the simulators' own counts say which engine served each turn.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOrigin } from '../../origin/node/server.ts';
import { pino } from 'pino';
import { staysHome } from '../../origin/routing/affinity.ts';
import { RedisAffinityStore } from '../../origin/routing/affinity-store.ts';
import { CLIENT_DIALECTS } from '../../origin/dialects/client/index.ts';
import { readFacts } from '../../origin/http/request-facts.ts';
import { sessionFromConversation, sessionFromHeaders } from '../../origin/routing/session-key.ts';
import { routeFor } from '../../shared/routes.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { postChat, TEST_MODEL } from '../helpers/request.ts';
import { origin } from '../quota/helpers.ts';

describe('the conversation a request belongs to', () => {
  const sys = { role: 'system', content: 'You are a coding agent. '.repeat(2_000) };
  const turn1 = { messages: [sys, { role: 'user', content: 'fix the bug in parse.ts' }] };
  const turn2 = { messages: [...turn1.messages, { role: 'assistant', content: 'done' }, { role: 'user', content: 'now add a test' }] };

  it('is named by the agent CLIs\' session headers first, in the tenant\'s scope, as a digest', () => {
    const h = (m: Record<string, string>) => (name: string) => m[name];
    const a = sessionFromHeaders('t1', h({ 'x-claude-code-session-id': 'abc' }));
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sessionFromHeaders('t1', h({ 'x-claude-code-session-id': 'abc' }))).toBe(a);
    expect(sessionFromHeaders('t2', h({ 'x-claude-code-session-id': 'abc' }))).not.toBe(a);
    expect(sessionFromHeaders('t1', h({ session_id: 'abc' }))).toBe(a);
    expect(sessionFromHeaders('t1', h({ 'x-opencode-session': 'abd' }))).not.toBe(a);
    expect(sessionFromHeaders('t1', h({}))).toBeUndefined();
  });

  it('else by prompt_cache_key, user or metadata.user_id, else by how the conversation begins', () => {
    const chat = '/v1/chat/completions';
    const model = 'm';
    expect(sessionOf(chat, { model, ...turn1, prompt_cache_key: 'k' })).toBe(sessionOf(chat, { model, ...turn2, prompt_cache_key: 'k' }));
    expect(sessionOf(chat, { model, ...turn1, user: 'u1' })).not.toBe(sessionOf(chat, { model, ...turn1, user: 'u2' }));
    const claude = (t: object, user_id?: string) => sessionOf('/v1/messages', { model, max_tokens: 8, ...t, ...(user_id ? { metadata: { user_id } } : {}) });
    expect(claude(turn1, 'session_1')).toBe(claude(turn2, 'session_1'));
    // Each turn repeats the system prompt and the first message: one conversation.
    expect(sessionOf(chat, { model, ...turn1 })).toBe(sessionOf(chat, { model, ...turn2 }));
    expect(sessionOf(chat, { model, messages: [sys, { role: 'user', content: 'another task' }] })).not.toBe(sessionOf(chat, { model, ...turn1 }));
    // Anthropic's system field, a Responses input, a bare prompt, Gemini's systemInstruction and contents.
    expect(claude({ system: 'S', messages: [{ role: 'user', content: 'a' }] })).not.toBe(claude({ system: 'T', messages: [{ role: 'user', content: 'a' }] }));
    expect(sessionOf('/v1/responses', { model, instructions: 'I', input: 'hello' })).toBeDefined();
    expect(sessionOf('/v1/completions', { model, prompt: 'p' })).toBeDefined();
    expect(sessionOf('/api/generate', { model, prompt: 'p' })).toBeDefined();
    const gemini = (contents: object[]) => sessionOf('/v1beta/models/m:generateContent', { systemInstruction: 'S', contents });
    const ask = { role: 'user', parts: [{ text: 'fix the bug' }] };
    expect(gemini([ask])).toBe(gemini([ask, { role: 'model', parts: [{ text: 'done' }] }, { role: 'user', parts: [{ text: 'now a test' }] }]));
    expect(sessionOf(chat, { model, messages: [sys] })).toBeUndefined();
    expect(sessionOf(chat, { model, ...turn1 })).not.toContain('fix');
  });
});

/** The session a body names, read the way a request's is: its route's dialect reads the facts, then names the conversation. */
function sessionOf(path: string, body: object): string | undefined {
  const route = routeFor('POST', path)!;
  const reader = CLIENT_DIALECTS[route.dialect].body(route)!;
  const facts = readFacts(JSON.stringify(body), route, reader, { path, query: () => undefined });
  if (!facts.body.ok) throw facts.body.error;
  return sessionFromConversation('t', reader.conversation?.(facts.body.value));
}

describe('staying on the engine that holds the conversation', () => {
  const idle = { load: 0, kv: 0, serviceMs: 2_000, prefillTokensPerSecond: 2_000 };
  it('stays within the slack, leaves a full KV cache, and beyond the slack stays while waiting is cheaper than a cold prefill', () => {
    expect(staysHome({ ...idle, load: 2 }, idle, 2, undefined)).toBe(true);
    expect(staysHome({ ...idle, load: 3 }, idle, 2, undefined)).toBe(false);
    expect(staysHome({ ...idle, kv: 0.97 }, idle, 2, 20_000)).toBe(false);
    // 20,000 tokens at 2,000 tok/s: 10 s of prefill elsewhere; 4 requests ahead at 2 s each: 8 s.
    expect(staysHome({ ...idle, load: 4 }, idle, 2, 20_000)).toBe(true);
    expect(staysHome({ ...idle, load: 6 }, idle, 2, 20_000)).toBe(false);
    // Unmeasured: the slack alone decides.
    expect(staysHome({ ...idle, load: 4, serviceMs: undefined }, idle, 2, 20_000)).toBe(false);
  });
});

describe('affinity routing (two simulated engines)', () => {
  let a: Simulator;
  let b: Simulator;
  let redis: RedisServer;
  const opened: AbortController[] = [];
  beforeAll(async () => {
    [a, b, redis] = await Promise.all([startSimulator({ timeScale: 0.02, preloaded: [TEST_MODEL] }), startSimulator({ timeScale: 0.02, preloaded: [TEST_MODEL] }), startRedis()]);
  });
  afterAll(async () => {
    for (const c of opened) c.abort();
    await Promise.all([a?.close(), b?.close(), redis?.close()]);
  });

  const served = () => ({ a: a.stats().requestsByModel[TEST_MODEL] ?? 0, b: b.stats().requestsByModel[TEST_MODEL] ?? 0 });
  /** One turn of conversation `id`; which engine served it. */
  async function turn(o: RunningOrigin, id: string): Promise<'a' | 'b'> {
    const before = served();
    const r = await postChat(o.url, 'next step [[sim:tokens=3]]', {}, { headers: { 'x-claude-code-session-id': id } });
    expect(r.status).toBe(200);
    await r.text();
    const after = served();
    return after.a > before.a ? 'a' : 'b';
  }
  /** A stream held open through `o` (another conversation), until the test ends. */
  async function hold(o: RunningOrigin, id: string): Promise<void> {
    const ctl = new AbortController();
    opened.push(ctl);
    const r = await postChat(o.url, 'a long answer [[sim:tokens=100000]]', { stream: true }, { headers: { 'x-claude-code-session-id': id }, signal: ctl.signal });
    expect(r.status).toBe(200);
    // Read (and dropped) until the test aborts it: a stream left unread would be cut off as stalled.
    void r.text().catch(() => {});
  }
  const release = () => {
    for (const c of opened.splice(0)) c.abort();
  };
  const two = (extra: Record<string, unknown> = {}) => origin(a.url, { upstreams: [{ name: 'a', url: a.url, models: [TEST_MODEL] }, { name: 'b', url: b.url, models: [TEST_MODEL] }], ...extra });
  const outstanding = (o: RunningOrigin, name: string) => o.deps.registry.upstreams.find((u) => u.name === name)!.outstanding;

  it('keys no conversation where one engine is configured: every turn goes to it, nothing is stored', async () => {
    const one = await origin(a.url, { upstreams: [{ name: 'a', url: a.url, models: [TEST_MODEL] }], redis: { url: redis.url, keyPrefix: 'aff-one:' } });
    const both = await two({ redis: { url: redis.url, keyPrefix: 'aff-two:' } });
    const watch = new Redis(redis.url);
    try {
      expect(one.deps.router!.affine).toBe(false);
      expect(both.deps.router!.affine).toBe(true);
      expect(await turn(one, 'single')).toBe('a');
      expect(await turn(one, 'single')).toBe('a');
      expect(await turn(both, 'pair')).toBe('a');
      // The same turn stored where there is a choice to keep, not where there is none.
      await expect.poll(() => watch.keys('aff-two:*affinity*')).toHaveLength(1);
      expect(await watch.keys('aff-one:*affinity*')).toEqual([]);
      expect(one.deps.router!.affinityCounts).toEqual({ kept: 0, rebalanced: 0, new: 0 });
    } finally {
      await watch.del(...(await watch.keys('aff-two:*affinity*')));
      watch.disconnect();
      await Promise.all([one.close(), both.close()]);
    }
  });

  it('keeps a conversation on its engine while that engine is at most `slack` busier; least-loaded without it', async () => {
    const on = await two();
    const off = await two({ routing: { affinity: { enabled: false } } });
    try {
      for (const o of [on, off]) {
        const id = `conv-${o === on ? 'on' : 'off'}`;
        expect(await turn(o, id)).toBe('a');
        // Another conversation's stream now runs on a.
        await hold(o, `other-${id}`);
        await expect.poll(() => outstanding(o, 'a')).toBe(1);
        expect(await turn(o, id)).toBe(o === on ? 'a' : 'b');
        release();
        await expect.poll(() => outstanding(o, 'a')).toBe(0);
      }
      expect(on.deps.router!.affinityCounts.kept).toBeGreaterThanOrEqual(1);
    } finally {
      release();
      await Promise.all([on.close(), off.close()]);
    }
  });

  it('rebalances when its engine is more than `slack` busier, and the turns after follow the new engine', async () => {
    const o = await two({ routing: { affinity: { slack: 0 } } });
    try {
      expect(await turn(o, 'moving')).toBe('a');
      await hold(o, 'busy');
      await expect.poll(() => outstanding(o, 'a')).toBe(1);
      expect(await turn(o, 'moving')).toBe('b');
      release();
      await expect.poll(() => outstanding(o, 'a')).toBe(0);
      // Both idle again: the conversation stays where its cache now is.
      expect(await turn(o, 'moving')).toBe('b');
      expect(o.deps.router!.affinityCounts.rebalanced).toBe(1);
      expect(await (await fetch(`${o.url}/metrics`)).text()).toMatch(/puerta_fleet_affinity_routes_total\{outcome="rebalanced"\} 1\n/);
    } finally {
      release();
      await o.close();
    }
  });

  it('writes a conversation\'s engine to Redis once per tenth of the TTL, and again once another replica moved it', async () => {
    const log = pino({ level: 'silent' });
    const opts = { ttlMs: 600_000, maxSessions: 100 };
    const c1 = new Redis(redis.url);
    const c2 = new Redis(redis.url);
    const watch = new Redis(redis.url);
    try {
      const r1 = new RedisAffinityStore(c1, 'aff-test:', opts, log);
      const r2 = new RedisAffinityStore(c2, 'aff-test:', opts, log);
      await expect.poll(() => c1.status === 'ready' && c2.status === 'ready').toBe(true);
      const writes = async () => Number(/cmdstat_set:calls=(\d+)/.exec(await watch.info('commandstats'))?.[1] ?? 0);
      const before = await writes();
      // An agent's turns seconds apart on the same engine: one write.
      for (let i = 0; i < 5; i++) r1.set('conv', 'a');
      await expect.poll(() => watch.get('aff-test:affinity:conv')).toBe('a');
      expect(await writes()).toBe(before + 1);
      expect(await watch.pttl('aff-test:affinity:conv')).toBeGreaterThan(590_000);
      // Another replica moves it; the first one reads that, serves it on its old engine again and writes that.
      r2.set('conv', 'b');
      await expect.poll(() => watch.get('aff-test:affinity:conv')).toBe('b');
      expect(await r1.get('conv')).toBe('b');
      r1.set('conv', 'a');
      await expect.poll(() => watch.get('aff-test:affinity:conv')).toBe('a');
      expect(await writes()).toBe(before + 3);
    } finally {
      // The next test counts every affinity key in this Redis.
      await watch.del('aff-test:affinity:conv');
      c1.disconnect();
      c2.disconnect();
      watch.disconnect();
    }
  });

  it('is shared by every replica through Redis: a turn on another replica finds the same engine', async () => {
    const r1 = await two({ redis: { url: redis.url } });
    const r2 = await two({ redis: { url: redis.url } });
    try {
      // On r1, a is busy: the conversation starts on b.
      await hold(r1, 'busy-r1');
      await expect.poll(() => outstanding(r1, 'a')).toBe(1);
      expect(await turn(r1, 'shared')).toBe('b');
      // r2 sees both idle (it would pick a) but follows the conversation to b.
      expect(await turn(r2, 'shared')).toBe('b');
      expect(await turn(r2, 'not-shared')).toBe('a');
      // Digests and engine names only, with a TTL: nothing of the conversation itself.
      const client = new Redis(redis.url);
      try {
        const keys = await client.keys('*affinity*');
        expect(keys.length).toBe(3);
        for (const k of keys) {
          expect(k).toMatch(/affinity:[A-Za-z0-9_-]{22}\/llama3\.2:3b$/);
          expect(['a', 'b']).toContain(await client.get(k));
          expect(await client.pttl(k)).toBeGreaterThan(60_000);
        }
      } finally {
        client.disconnect();
      }
    } finally {
      release();
      await Promise.all([r1.close(), r2.close()]);
    }
  });
});
