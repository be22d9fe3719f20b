import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTenant } from '../../origin/audit/export.ts';
import { FileSink } from '../../origin/audit/file-sink.ts';
import { login, operatorRecords, startConsoleStack, submit, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
beforeAll(async () => {
  s = await startConsoleStack();
});
afterAll(() => s?.close());

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Yesterday's file of another node in the same directory, written and sealed by the real sink. */
async function writeYesterday(dir: string): Promise<string> {
  const noon = Date.parse(`${dayOf(Date.now() - DAY_MS)}T12:00:00Z`);
  const sink = new FileSink({ dir, region: 'local', node: 'edge-box-2', maxFileBytes: 1 << 20, fsync: false, log: pino({ level: 'silent' }), now: () => noon });
  await sink.open();
  const line = (i: number) => JSON.stringify({ type: 'request', id: `req_old${i}`, tenant: 'acme', outcome: 'ok', promptTokens: 10 + i });
  await sink.write([line(1), line(2), line(3)]);
  const name = sink.current()!.name;
  await sink.close();
  return name;
}

describe('console: audit', () => {
  it("proves a day's trail intact with Verify now, and shows it broken once a line is edited", async () => {
    const yesterday = dayOf(Date.now() - DAY_MS);
    const file = await writeYesterday(s.auditDir);
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/audit`);
    // Today's live file (the login is in it) and yesterday's.
    await expect.poll(async () => {
      await page.reload();
      return page.$$eval('#audit-days tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-day')));
    }).toEqual([dayOf(Date.now()), yesterday]);
    expect(await page.$eval('main', (m) => m.textContent)).toContain('Processing region local');

    await submit(page, `tr[data-day="${yesterday}"] button`);
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe(`${yesterday}: INTACT (3 records in 1 file(s))`);
    expect(await page.$eval(`tr[data-day="${yesterday}"]`, (tr) => tr.getAttribute('data-verified'))).toBe('intact');
    expect(await page.$eval(`tr[data-day="${yesterday}"] .sealed`, (s) => s.textContent)).toBe('1 of 1 file(s) sealed');

    // Someone edits a record on disk: the chain no longer matches the seal.
    const path = join(s.auditDir, file);
    await writeFile(path, (await readFile(path, 'utf8')).replace('"promptTokens":12', '"promptTokens":99'));
    await submit(page, `tr[data-day="${yesterday}"] button`);
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe(`${yesterday}: BROKEN (3 records in 1 file(s))`);
    expect(await page.$eval(`tr[data-day="${yesterday}"] .problems`, (ul) => ul.textContent)).toContain('hash chain does not match the seal');

    await expect.poll(async () => (await operatorRecords(s.auditDir)).filter((r) => r.action === 'audit_verified').map((r) => `${r.operator} ${r.target} ${r.outcome}`), { timeout: 5_000 }).toEqual([
      `operator ${yesterday} ok`,
      `operator ${yesterday} failed`,
    ]);
    // Today's file holds the operator's actions and still verifies (live: not sealed yet).
    await submit(page, `tr[data-day="${dayOf(Date.now())}"] button`);
    expect(await page.$eval('.notice', (n) => n.textContent)).toMatch(/: INTACT \(\d+ records in 1 file\(s\)\)$/);
    // Today's file is the live one: verified, not sealed yet.
    expect(await page.$eval(`tr[data-day="${dayOf(Date.now())}"] .sealed`, (s) => s.textContent)).toBe('0 of 1 file(s) sealed');
    await page.close();
  });

  it("exports one tenant's records of the days chosen, as the audit CLI does, and refuses a day that fails verification", async () => {
    const day = dayOf(Date.now() - 2 * DAY_MS);
    const noon = Date.parse(`${day}T12:00:00Z`);
    const sink = new FileSink({ dir: s.auditDir, region: 'local', node: 'edge-box-3', maxFileBytes: 1 << 20, fsync: false, log: pino({ level: 'silent' }), now: () => noon });
    await sink.open();
    const rec = (i: number, tenant: string) => JSON.stringify({ type: 'request', id: `req_x${i}`, tenant, outcome: 'ok', promptTokens: i });
    await sink.write([rec(1, 'acme'), rec(2, 'globex'), rec(3, 'acme')]);
    const file = join(s.auditDir, sink.current()!.name);
    await sink.close();

    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/audit`);
    const downloads = join(s.dir, 'audit-downloads');
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    const fill = (tenant: string) =>
      page.$eval('#audit-export form', (f, t, d) => {
        (f.querySelector('input[name=tenant]') as HTMLInputElement).value = t;
        (f.querySelector('input[name=from]') as HTMLInputElement).value = d;
        (f.querySelector('input[name=to]') as HTMLInputElement).value = d;
      }, tenant, day);
    await fill('acme');
    await page.click('#audit-export button');
    const out = join(downloads, `puerta-audit-acme-${day}_${day}.jsonl`);
    await expect.poll(() => readFile(out, 'utf8').catch(() => ''), { timeout: 10_000 }).toContain('req_x3');
    // The same lines as `npm run audit -- export` hands over, only acme's.
    const cli: string[] = [];
    await exportTenant(s.auditDir, { tenant: 'acme', from: day, to: day }, (l) => cli.push(l));
    expect((await readFile(out, 'utf8')).trimEnd().split('\n')).toEqual(cli);
    expect(cli.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['req_x1', 'req_x3']);

    // Edited on disk: the day no longer verifies, and nothing of it is handed over.
    await writeFile(file, (await readFile(file, 'utf8')).replace('"promptTokens":3', '"promptTokens":4'));
    await page.goto(`${s.console}/audit`);
    await fill('acme');
    await Promise.all([page.waitForNavigation(), page.click('#audit-export button')]);
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe(`not exported: ${day} failed verification (npm run audit -- export --force hands such days over for an investigation)`);
    await expect.poll(async () => (await operatorRecords(s.auditDir)).filter((r) => r.action === 'audit_exported').map((r) => `${r.operator} ${r.target} ${r.outcome}`), { timeout: 5_000 }).toEqual([
      'operator acme ok',
      'operator acme failed',
    ]);
    await page.close();
  });
});
