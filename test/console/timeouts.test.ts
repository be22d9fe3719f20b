import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { login, startConsoleStack, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
let key: string;
beforeAll(async () => {
  s = await startConsoleStack();
  const data = readTenantsFile(s.tenantsFile);
  putTenant(data, { id: 'acme' });
  key = (await addKey(data, 'acme')).key;
  writeTenantsFile(s.tenantsFile, data);
});
afterAll(() => s?.close());

const verdicts = (page: import('puppeteer-core').Page) => page.$$eval('#timeout-chain tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-setting'), tr.getAttribute('data-verdict')])));

describe('console: the timeout chain', () => {
  it("draws each hop's limit beside what this origin's own traffic asks for, as check:timeouts --from-metrics does", async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/timeouts`);
    // No traffic yet: nothing observed.
    expect(await verdicts(page)).toMatchObject({ "origin upstreams['sim'].idleTimeoutMs": 'no data' });

    const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: key, maxRetries: 0 });
    await expect.poll(async () => (await fetch(`${s.origin.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status, { timeout: 10_000 }).toBe(200);
    for (let i = 0; i < 3; i++) {
      const stream = await client.chat.completions.create({ model: 'gpt-oss:20b', stream: true, messages: [{ role: 'user', content: 'hola [[sim:tokens=8]]' }] });
      for await (const _ of stream) void _;
    }
    await page.reload();
    const v = await verdicts(page);
    expect(v["origin upstreams['sim'].idleTimeoutMs"]).toBe('ok');
    expect(v["origin upstreams['sim'].firstByteTimeoutMs"]).toBe('ok');
    // The edge's timers come from fastly.toml beside the origin (this checkout).
    expect(Object.keys(v).some((k) => k!.startsWith('fastly '))).toBe(true);
    expect(await page.$$eval('#timeout-chain svg rect', (r) => r.length)).toBeGreaterThan(Object.keys(v).length);
    await page.close();
  });
});
