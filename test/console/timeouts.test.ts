import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { TimeoutsPage } from '../../origin/console/pages/timeouts.tsx';
import { timeoutChain, timeoutToday } from '../../origin/console/timeout-chain.ts';
import { runCli } from '../../sre/timeouts/cli.ts';
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

    // The client hop first: the common clients' documented defaults against what this traffic made them wait.
    expect(v['client openai SDK (Node): new OpenAI({ timeout })']).toBe('ok');
    expect(v['client Open WebUI: AIOHTTP_CLIENT_TIMEOUT (seconds; empty = no limit)']).toBe('ok');
    expect(v['client Codex CLI: model_providers.<id>.stream_idle_timeout_ms (config.toml)']).toBe('ok');
    const hops = await page.$$eval('#timeout-chain tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-hop')));
    expect([...new Set(hops)]).toEqual(['client', 'edge', 'origin', 'engine']);
    expect(await page.$eval('#timeout-chain tr[data-setting^="client anthropic SDK (Node)"] td:nth-child(3)', (td) => td.textContent)).toBe('10 min');

    // The same rows, verdicts and evidence as check:timeouts --from-metrics on this origin's /metrics.
    const lines: string[] = [];
    const root = fileURLToPath(new URL('../..', import.meta.url));
    expect(await runCli(['--from-metrics', `${s.origin.url}/metrics`, '--json'], root, (x) => lines.push(x))).toBe(0);
    const cli = (JSON.parse(lines.join('\n')) as { proposals: Array<{ hop: string; setting: string; verdict: string }> }).proposals.filter((p) => p.hop === 'client');
    expect(Object.fromEntries(cli.map((p) => [p.setting, p.verdict]))).toEqual(Object.fromEntries(Object.entries(v).filter(([k]) => k!.startsWith('client '))));
    await page.close();
  });

  it("draws a client's default in red where observed requests outlasted it", () => {
    // Requests that ran 5-10 minutes to their last byte: Open WebUI's 300 s total timer would have cut them.
    const sec = (b: number[], counts: number[], name: string) =>
      [...b.map((le, i) => `${name}_bucket{le="${le}"} ${counts[i]}`), `${name}_bucket{le="+Inf"} ${counts[counts.length - 1]}`, `${name}_count ${counts[counts.length - 1]}`].join('\n');
    const metrics = [sec([1, 300, 600], [90, 95, 100], 'puerta_request_duration_seconds'), sec([0.5, 1], [99, 100], 'puerta_ttft_seconds'), sec([0.05, 1], [99, 100], 'puerta_inter_token_seconds')].join('\n');
    const { today } = timeoutToday(s.origin.cfg, '/nonexistent/fastly.toml');
    const chain = timeoutChain(metrics, today, null);
    const openWebui = chain.proposals.find((p) => p.setting.startsWith('client Open WebUI'))!;
    expect(openWebui).toMatchObject({ hop: 'client', todayMs: 300_000, verdict: 'would cut' });
    expect(openWebui.evidence).toContain('request duration (to the last byte)');
    expect(chain.proposals.find((p) => p.setting.startsWith('client openai SDK (Node)'))!.verdict).toBe('ok');
    const html = String(TimeoutsPage({ chain }));
    expect(html).toMatch(/<tr data-hop="client" data-setting="client Open WebUI[^"]*" data-verdict="would cut" class="cut">/);
    expect(html).toContain('fill="#dc2626"');
  });
});
