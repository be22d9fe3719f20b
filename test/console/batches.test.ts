import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { login, startConsoleStack, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
let key: string;
beforeAll(async () => {
  s = await startConsoleStack({ sim: { timeScale: 0.02 }, origin: { batch: { enabled: true, pollMs: 50, concurrency: 2 } } });
  const data = readTenantsFile(s.tenantsFile);
  putTenant(data, { id: 'acme' });
  key = (await addKey(data, 'acme')).key;
  writeTenantsFile(s.tenantsFile, data);
});
afterAll(() => s?.close());

const MARKER = 'BATCH-MARKER-v7n3';

describe('console: batches', () => {
  it("shows each tenant's batches with status and counts, live, never a line's content", async () => {
    // The origin reads the tenants file when it changes: wait until it knows the new key.
    await expect.poll(async () => (await fetch(`${s.origin.url}/v1/batches`, { headers: { authorization: `Bearer ${key}` } })).status, { timeout: 15_000 }).toBe(200);
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/batches`);
    await page.waitForFunction(() => document.getElementById('batch-list')?.dataset.live === 'open');
    const loads: string[] = [];
    page.on('framenavigated', (f) => loads.push(f.url()));

    const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: key, maxRetries: 0 });
    const lines = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ custom_id: `${MARKER}-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'llama3.2:3b', messages: [{ role: 'user', content: `${MARKER} [[sim:tokens=40]]` }] } }),
    ).join('\n');
    const file = await client.files.create({ file: await toFile(Buffer.from(lines), 'in.jsonl'), purpose: 'batch' });
    const b = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { note: MARKER } });

    // Progress arrives over the page's event stream: an in-progress row first, then the finished one.
    await expect.poll(() => page.$eval(`tr[data-batch="${b.id}"]`, (tr) => tr.getAttribute('data-status')).catch(() => null), { timeout: 20_000 }).toMatch(/validating|in_progress|finalizing|completed/);
    await expect.poll(() => page.$eval(`tr[data-batch="${b.id}"]`, (tr) => tr.getAttribute('data-status')).catch(() => null), { timeout: 30_000 }).toBe('completed');
    const row = await page.$eval(`tr[data-batch="${b.id}"]`, (tr) => tr.textContent ?? '');
    expect(row).toContain('acme');
    expect(row).toContain('8/8');
    expect(loads).toEqual([]);
    expect(await page.content()).not.toContain(MARKER);
    await page.close();
  });
});
