/**
 * An OpenAI-compatible engine that reports its own load (the simulator's vLLM persona, an upstream
 * with `metricsPath`): the Engines page shows what it says, the figures routing reads, and follows
 * them live as the engine's queue fills and empties.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startConsoleStack, type ConsoleStack } from './harness.ts';
import { loadEngine } from '../helpers/engine-load.ts';

const MODEL = 'llama3.2:3b';
let s: ConsoleStack;
beforeAll(async () => {
  s = await startConsoleStack({
    sim: { persona: 'vllm', timeScale: 0.05 },
    upstream: { kind: 'openai', models: [MODEL], metricsPath: '/metrics' },
    origin: { routing: { health: { intervalMs: 100 } } },
  });
});
afterAll(() => s?.close());

const hog = (n: number) => loadEngine(s.sim.url, MODEL, n);

describe('console: an engine that reports its own load', () => {
  it("shows the engine's running and waiting requests and KV-cache use from its /metrics, live", async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/models`);
    const report = () => page.$eval('section[data-engine="sim"] .engine-load', (p) => p.textContent ?? '').catch(() => '');
    await expect.poll(report, { timeout: 10_000 }).toMatch(/^Engine reports: 0 running · 0 waiting in the engine · KV cache [\d.]+ % used/);
    const load = hog(6);
    try {
      // The page follows over its event stream: the engine's own queue, as it reports it.
      await expect.poll(report, { timeout: 15_000 }).toMatch(/^Engine reports: [1-9]\d* running · [1-9]\d* waiting in the engine · KV cache [\d.]+ % used/);
    } finally {
      load.stop();
    }
    await expect.poll(report, { timeout: 15_000 }).toMatch(/^Engine reports: 0 running · 0 waiting in the engine/);
    await page.close();
  });
});
