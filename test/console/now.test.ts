import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { login, startConsoleStack, type ConsoleStack } from './harness.ts';

/** A tenant and key written straight to the tenants file (the key flow itself is keys.test.ts). */
async function tenantKey(file: string, id: string): Promise<string> {
  const data = readTenantsFile(file);
  putTenant(data, { id });
  const { key } = await addKey(data, id);
  writeTenantsFile(file, data);
  return key;
}

/** The origin rereads the tenants file within seconds: wait until it knows the key. */
async function accepted(originUrl: string, key: string): Promise<void> {
  await expect.poll(async () => (await fetch(`${originUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status, { timeout: 10_000 }).toBe(200);
}

/** Starts a stream that runs until aborted; resolves once its first chunk has arrived. */
async function openStream(originUrl: string, key: string, content: string, model = 'gpt-oss:20b') {
  const client = new OpenAI({ baseURL: `${originUrl}/v1`, apiKey: key, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: `${content} [[sim:tokens=100000]]` }] });
  const it = stream[Symbol.asyncIterator]();
  await it.next();
  const drained = (async () => {
    try {
      for (;;) if ((await it.next()).done) return;
    } catch {
      // Aborted by the test.
    }
  })();
  return {
    async stop() {
      stream.controller.abort();
      await drained;
    },
  };
}

const MARKER = 'PROMPT-MARKER-q8z3v1';

describe('console: Now, one replica', () => {
  let s: ConsoleStack;
  beforeAll(async () => {
    s = await startConsoleStack();
  });
  afterAll(() => s?.close());

  it('shows a stream while a client streams and drops it when it ends, live over SSE; no prompt text in the page or the event stream', async () => {
    const key = await tenantKey(s.tenantsFile, 'globex');
    await accepted(s.origin.url, key);
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.waitForFunction(() => document.getElementById('now')?.dataset.live === 'open');
    // Everything the event stream sends, recorded beside the page's own EventSource.
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      new EventSource('/console/events/now').addEventListener('html', (e) => w.seen.push((e as MessageEvent<string>).data));
    });
    const loads: string[] = [];
    page.on('framenavigated', (f) => loads.push(f.url()));

    const stream = await openStream(s.origin.url, key, `Tell me a secret ${MARKER}`);
    await expect.poll(() => page.$$eval('#now-by-tenant tr[data-tenant="globex"]', (rows) => rows.map((r) => r.textContent)), { timeout: 10_000 }).toEqual(['globexgpt-oss:20b10']);
    await expect.poll(() => page.$$eval('#now-streams tr[data-request]', (rows) => rows.length)).toBe(1);
    await expect.poll(() => page.$eval('#now-streams tr[data-request] td:nth-child(6)', (td) => td.textContent)).toBe('streaming');

    await stream.stop();
    await expect.poll(() => page.$$eval('#now-streams tr[data-request]', (rows) => rows.length), { timeout: 10_000 }).toBe(0);
    expect(await page.$eval('#now-by-tenant', (t) => t.textContent)).toContain('nothing in flight');
    // Live: no reload and no navigation happened while the stream came and went.
    expect(loads).toEqual([]);

    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen.join('\n'));
    expect(seen).toContain('globex');
    expect(seen).not.toContain(MARKER);
    expect(seen).not.toContain('Tell me a secret');
    for (const p of ['now', 'models', 'tenants', 'usage', 'audit', 'retrieval', 'batches', 'timeouts', 'try']) {
      await page.goto(`${s.console}/${p}`);
      expect(await page.content(), p).not.toContain(MARKER);
    }
    await page.close();
  });
});

describe('console: Now, three origin replicas sharing Redis', () => {
  let s: ConsoleStack;
  let redis: RedisServer;
  const others: RunningOrigin[] = [];
  const share = { tenantShare: { initech: 1 } };
  beforeAll(async () => {
    redis = await startRedis();
    // One tenant streams through all three replicas here: it may hold every slot (by default a
    // tenant holds at most half of a model's slots, which would queue its third stream).
    s = await startConsoleStack({ origin: { redis: { url: redis.url }, admission: share } });
    // Every replica runs with the same configuration, the console included: each publishes its streams.
    for (let i = 0; i < 2; i++) {
      others.push(
        await startOrigin({
          env: {},
          overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: s.sim.url }], auth: { mode: 'keys', tenantsFile: s.tenantsFile }, redis: { url: redis.url }, audit: { node: `replica-${i + 2}` }, admission: share, console: s.origin.cfg.console },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const o of others) await o.close();
    await s?.close();
    await redis?.close();
  });

  it("shows every replica's streams on the one console page, and drains an engine on every replica", async () => {
    const key = await tenantKey(s.tenantsFile, 'initech');
    const page = await s.browser.newPage();
    await login(page, s.console);
    const urls = [s.origin.url, others[0]!.url, others[1]!.url];
    for (const url of urls) await accepted(url, key);
    const streams = [];
    for (const url of urls) streams.push(await openStream(url, key, 'hola'));
    await expect.poll(() => page.$$eval('#now-streams tr[data-request]', (rows) => rows.length), { timeout: 15_000 }).toBe(3);
    expect(await page.$eval('#now-by-tenant tr[data-tenant="initech"]', (r) => r.textContent)).toBe('initechgpt-oss:20b30');
    const replicas = await page.$$eval('#now-streams tr[data-request] td:nth-child(2)', (tds) => new Set(tds.map((t) => t.textContent)).size);
    expect(replicas).toBe(3);
    for (const st of streams) await st.stop();
    await expect.poll(() => page.$$eval('#now-streams tr[data-request]', (rows) => rows.length), { timeout: 15_000 }).toBe(0);

    // A drain set on this replica's console reaches the other replicas through Redis.
    await page.goto(`${s.console}/models`);
    await Promise.all([page.waitForNavigation(), page.click('section[data-engine="sim"] form[action$="/engines/drain"] button')]);
    expect(await page.$eval('section[data-engine="sim"] .drain', (p) => p.textContent)).toMatch(/^Draining on every replica/);
    const status = (url: string) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hola [[sim:tokens=2]]' }] }) }).then((r) => r.status);
    for (const o of others) await expect.poll(() => status(o.url), { timeout: 10_000 }).toBe(503);
    await Promise.all([page.waitForNavigation(), page.click('section[data-engine="sim"] form[action$="/engines/resume"] button')]);
    for (const o of others) await expect.poll(() => status(o.url), { timeout: 10_000 }).toBe(200);
    await page.close();
  });
});
