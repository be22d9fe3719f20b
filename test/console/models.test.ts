import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedRecord } from '../helpers/record.ts';
import { login, operatorRecords, startConsoleStack, submit, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
beforeAll(async () => {
  // Model loads at a twentieth of real time: the test is about the console, not the wait.
  s = await startConsoleStack({ sim: { timeScale: 0.05 }, origin: { metrics: { gpuMemoryBytes: 137438953472 } } });
});
afterAll(() => s?.close());

const loaded = async () => ((await (await fetch(`${s.sim.url}/api/ps`)).json()) as { models: Array<{ name: string }> }).models.map((m) => m.name).sort();

describe('console: engines and models', () => {
  it("frees a model's memory from the browser (the engine's /api/ps changes), loads it again, and follows changes made elsewhere live", async () => {
    expect(await loaded()).toContain('gpt-oss:20b');
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/models`);
    const engine = await page.$eval('section[data-engine="sim"] h2', (h) => h.textContent ?? '');
    expect(engine).toMatch(/ollama · http:\/\/127\.0\.0\.1:\d+ · version \d/);
    expect(await page.$eval('tr[data-model="gpt-oss:20b"]', (r) => r.textContent)).toMatch(/GB/);
    const memory = () => page.$eval('section[data-engine="sim"] .memory', (p) => p.textContent ?? '');
    expect(await memory()).toMatch(/^Loaded models hold [\d.]+ GB of GPU memory, of 137\.44 GB on the box \([\d.]+ GB free\)$/);
    const before = await memory();

    await submit(page, 'tr[data-model="gpt-oss:20b"] button');
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe('sim/gpt-oss:20b unloaded');
    expect(await loaded()).not.toContain('gpt-oss:20b');
    expect(await page.$('tr[data-model="gpt-oss:20b"]')).toBeNull();
    // The memory it held is free now.
    const free = (t: string) => Number(/\(([\d.]+) GB free\)/.exec(t)![1]);
    expect(free(await memory()) - free(before)).toBeGreaterThan(13);

    await page.type('form[action$="/models/warm"] input[name=model]', 'gpt-oss:20b');
    await submit(page, 'form[action$="/models/warm"] button');
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe('sim/gpt-oss:20b loaded');
    expect(await loaded()).toContain('gpt-oss:20b');

    // Unloaded by someone else: the page follows over its event stream, without a reload.
    await page.waitForFunction(() => document.getElementById('models')?.dataset.live === 'open');
    await fetch(`${s.sim.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:3b', keep_alive: 0 }) });
    await expect.poll(() => page.$('tr[data-model="llama3.2:3b"]'), { timeout: 10_000 }).toBeNull();

    await expect.poll(async () => (await operatorRecords(s.auditDir)).filter((r) => r.action !== 'login').map((r) => `${r.operator} ${r.action} ${r.target} ${r.outcome}`), { timeout: 5_000 }).toEqual([
      'operator model_unloaded sim/gpt-oss:20b ok',
      'operator model_warmed sim/gpt-oss:20b ok',
    ]);
    await page.close();
  });

  it('shows what the origin measured of each model on each engine (Ollama has no /metrics of its own)', async () => {
    s.origin.deps.router!.measures!.onEnd(finishedRecord({ promptTokens: 2_000, promptEvalMs: 250, completionTokens: 50, evalMs: 500 }, { queue: 20, ttft: 300, total: 800 }, { upstream: 'sim', model: 'llama3.2:3b' }));
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/models`);
    const row = await page.$eval('section[data-engine="sim"] tr[data-measured="llama3.2:3b"]', (r) => [...r.querySelectorAll('td')].map((td) => td.textContent));
    expect(row).toEqual(['llama3.2:3b', '8000 tok/s', '100 tok/s', '300 ms', '20 ms', '800 ms', '–', '1', '0']);
    await page.close();
  });
});
