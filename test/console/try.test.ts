import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { startLocalEdge, type RunningEdge } from '../../edge/local/index.ts';
import { freePort } from '../../sre/bench/lib/free-port.ts';
import { login, operatorRecords, startConsoleStack, submit, type ConsoleStack } from './harness.ts';

const MARKER = 'TRY-MARKER-k2w9x4';

let s: ConsoleStack;
let edge: RunningEdge;
let key: string;
let edgeUrl: string;
beforeAll(async () => {
  // The console must know the edge's URL before the origin starts, and the edge the origin's: a port chosen first.
  edgeUrl = `http://127.0.0.1:${await freePort()}`;
  s = await startConsoleStack({ origin: { stream: { keepaliveMs: 250 } }, edgeSigned: true, consoleEdgeUrl: edgeUrl });
  const data = readTenantsFile(s.tenantsFile);
  putTenant(data, { id: 'acme' });
  key = (await addKey(data, 'acme')).key;
  writeTenantsFile(s.tenantsFile, data);
  // A browser client of the edge, like any web app: the console's origin is on its CORS list.
  edge = await startLocalEdge({ originUrl: s.origin.url, runtime: 'workers', port: Number(new URL(edgeUrl).port), tenantsFile: s.tenantsFile, secretsFile: s.edgeSecretsFile!, config: { CORS_ALLOWED_ORIGINS: s.origin.url } });
}, 60_000);
afterAll(async () => {
  await edge?.close();
  await s?.close();
});

describe('console: Try it', () => {
  it('streams through the edge with a tenant key from the browser: keepalives, TTFT, text and Server-Timing phases as they arrive', async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    const res = await page.goto(`${s.console}/try`);
    // The page's scripts may connect to the console and to the edge, nowhere else.
    expect(res!.headers()['content-security-policy']).toContain(`connect-src 'self' ${edgeUrl};`);

    await page.type('#try-form input[name=key]', key);
    await page.type('#try-form input[name=model]', 'gpt-oss:20b');
    // The engine takes 2 s to answer: the origin's keepalive comments (every 250 ms) flow meanwhile.
    await page.type('#try-form textarea[name=message]', `${MARKER} [[sim:fault=slow-first-byte,ms=2000,tokens=12]]`);
    await page.click('#try-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('try-status')?.dataset.done === 'true', { timeout: 30_000 });

    expect(await page.$eval('#try-status', (e) => e.textContent)).toMatch(/^200 \(request [\w-]+\), done in \d+ ms$/);
    expect(Number(await page.$eval('#try-keepalives', (e) => e.textContent))).toBeGreaterThanOrEqual(1);
    expect(await page.$eval('#try-ttft', (e) => e.textContent)).toMatch(/^\d+ ms$/);
    expect(Number(await page.$eval('#try-ttft', (e) => (e as HTMLElement).dataset.ms))).toBeGreaterThanOrEqual(1_500);
    expect((await page.$eval('#try-text', (e) => e.textContent ?? '')).length).toBeGreaterThan(0);
    // The edge's phases and the origin's, read by the browser through the edge's CORS exposure. The
    // origin sent its headers with the first keepalive, before the engine answered: no upstream phase yet.
    const phases = await page.$$eval('#try-timing tr[data-phase]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.phase));
    expect(phases).toEqual(expect.arrayContaining(['edge', 'edge-origin', 'queue', 'origin']));
    expect(await page.$eval('#try-timing tr[data-phase="edge-origin"] td:nth-child(2)', (td) => td.textContent)).toMatch(/^\d+(\.\d+)? ms$/);

    // The text went browser → edge → origin: nothing of it reached the console's pages or the audit trail.
    for (const p of ['now', 'models', 'tenants', 'usage', 'audit', 'retrieval', 'batches', 'timeouts', 'try']) {
      await page.goto(`${s.console}/${p}`);
      expect(await page.content(), p).not.toContain(MARKER);
    }
    for (const f of readdirSync(s.auditDir).filter((x) => x.endsWith('.jsonl'))) expect(readFileSync(join(s.auditDir, f), 'utf8'), f).not.toContain(MARKER);
    await page.close();
  });

  it('issues a fresh key for the chosen tenant into the key field, stores only its hash, and records the action', async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/try`);
    await page.select('form[action$="/console/try/key"] select[name=tenant]', 'acme');
    await submit(page, 'form[action$="/console/try/key"] button');
    expect(await page.$eval('#try-issued', (e) => e.textContent)).toMatch(/^Key [a-z0-9]{12} issued for acme/);
    const fresh = await page.$eval('#try-form input[name=key]', (i) => (i as HTMLInputElement).value);
    expect(fresh).toMatch(/^pk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(readTenantsFile(s.tenantsFile))).not.toContain(fresh);
    await expect.poll(async () => (await operatorRecords(s.auditDir)).map((r) => `${r.action} ${r.target ?? ''}`), { timeout: 5_000 }).toContain(`key_issued acme/${fresh.slice(3, 15)}`);
    expect(JSON.stringify(await operatorRecords(s.auditDir))).not.toContain(fresh.slice(16));
    // Shown once: the page answers without it afterwards.
    await page.goto(`${s.console}/try`);
    expect(await page.content()).not.toContain(fresh);
    await page.close();
  });
});
