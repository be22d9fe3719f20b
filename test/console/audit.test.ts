import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    await page.close();
  });
});
