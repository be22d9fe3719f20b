import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startConsoleStack, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
beforeAll(async () => {
  s = await startConsoleStack();
});
afterAll(() => s?.close());

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('console: usage', () => {
  it("shows yesterday's usage per tenant as a table and a uPlot chart, and downloads it as CSV", async () => {
    const quota = s.origin.deps.quota!;
    const yesterday = dayOf(Date.now() - 86_400_000);
    const limits = quota.limitsFor('acme');
    // Yesterday's traffic, settled into the real usage store the way the origin settles a request.
    const settle = (tenant: string, model: string, promptTokens: number, completionTokens: number, error = false) =>
      quota.store.settle({ tenant, limits, now: Date.now(), tokenDelta: 0, dayDelta: 0, leaseId: null, day: yesterday, model, promptTokens, completionTokens, error });
    await settle('acme', 'gpt-oss:20b', 100, 40);
    await settle('acme', 'gpt-oss:20b', 60, 20);
    await settle('acme', 'llama3.2:3b', 10, 5, true);
    await settle('globex', 'gpt-oss:20b', 7, 3);

    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/usage`);
    expect(await page.$eval('input[name=day]', (i) => (i as HTMLInputElement).value)).toBe(yesterday);
    const rows = await page.$$eval('#usage-tenants tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual([
      ['acme', '3', '170', '65', '1'],
      ['globex', '1', '7', '3', '0'],
    ]);
    // uPlot drew the chart: its canvas and one legend entry per tenant.
    await page.waitForSelector('#usage-chart[data-drawn="true"] canvas');
    const legend = await page.$$eval('#usage-chart .u-legend .u-series .u-label', (ls) => ls.map((l) => l.textContent));
    expect(legend).toEqual(expect.arrayContaining(['acme', 'globex']));

    // The CSV link downloads the same rows.
    const downloads = join(s.dir, 'downloads');
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('#csv-day');
    const file = join(downloads, `puerta-usage-${yesterday}_${yesterday}.csv`);
    await expect.poll(() => readFile(file, 'utf8').catch(() => ''), { timeout: 10_000 }).toContain('globex');
    expect((await readFile(file, 'utf8')).split('\r\n')).toEqual([
      'day,tenant,model,requests,prompt_tokens,completion_tokens,errors',
      `${yesterday},acme,gpt-oss:20b,2,160,60,0`,
      `${yesterday},acme,llama3.2:3b,1,10,5,1`,
      `${yesterday},globex,gpt-oss:20b,1,7,3,0`,
      '',
    ]);
    await page.close();
  });
});
