import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { login, startConsoleStack, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
let key: string;
beforeAll(async () => {
  s = await startConsoleStack({ sim: { timeScale: 0.02 }, origin: { retrieval: { enabled: true, chunk: { tokens: 60, overlap: 12 } } } });
  const data = readTenantsFile(s.tenantsFile);
  putTenant(data, { id: 'acme' });
  key = (await addKey(data, 'acme')).key;
  writeTenantsFile(s.tenantsFile, data);
});
afterAll(() => s?.close());

const MARKER = 'DOCUMENT-MARKER-k2p9';

describe('console: retrieval', () => {
  it("shows an ingestion job's progress live and the collection's documents, never their text", async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/retrieval`);
    await page.waitForFunction(() => document.getElementById('retrieval')?.dataset.live === 'open');
    const loads: string[] = [];
    page.on('framenavigated', (f) => loads.push(f.url()));

    await expect.poll(async () => (await fetch(`${s.origin.url}/v1/collections`, { headers: { authorization: `Bearer ${key}` } })).status, { timeout: 10_000 }).toBe(200);
    const text = (n: number) => `${MARKER} La impresora del piso ${n} se reinicia desde el panel frontal. `.repeat(8);
    const up = await fetch(`${s.origin.url}/v1/collections/manuales/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ documents: [{ id: 'impresoras', content: text(1) }, { id: 'redes', content: text(2) }] }),
    });
    expect(up.status).toBe(202);
    const job = ((await up.json()) as { job: { id: string } }).job.id;

    await expect.poll(() => page.$eval(`tr[data-job="${job}"]`, (tr) => tr.getAttribute('data-state')).catch(() => null), { timeout: 20_000 }).toBe('succeeded');
    expect(await page.$eval(`tr[data-job="${job}"]`, (tr) => tr.textContent)).toContain('2/2');
    await expect.poll(() => page.$$eval('section[data-collection="acme/manuales"] tr[data-document]', (trs) => trs.map((t) => t.getAttribute('data-document'))), { timeout: 10_000 }).toEqual(['impresoras', 'redes']);
    expect(loads).toEqual([]);
    expect(await page.content()).not.toContain(MARKER);
    await page.close();
  });
});
