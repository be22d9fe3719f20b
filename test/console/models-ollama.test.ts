import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOllama, OLLAMA_VERSION, startOllama, tinyModels, type OllamaProcess } from '../helpers/ollama.ts';
import { login, startConsoleStack, submit, type ConsoleStack } from './harness.ts';

describeOllama('console: engines and models against the real Ollama build', () => {
  let engine: OllamaProcess;
  let s: ConsoleStack;
  const loaded = async () => ((await (await fetch(`${engine.url}/api/ps`)).json()) as { models: Array<{ name: string }> }).models.map((m) => m.name).sort();

  beforeAll(async () => {
    engine = await startOllama();
    // The console's upstream is the real server (the harness's simulator idles beside it).
    s = await startConsoleStack({ upstream: { name: 'ollama', url: engine.url } });
    for (const [path, body] of [
      ['/api/generate', { model: tinyModels.chat, keep_alive: '1h' }],
      ['/api/embed', { model: tinyModels.embed, input: ['hola'], keep_alive: '1h' }],
    ] as const) {
      const r = await fetch(`${engine.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect(r.status).toBe(200);
      await r.text();
    }
  });
  afterAll(async () => {
    await s?.close();
    await engine?.stop();
  });

  it("frees a chat model's and an embedding model's memory from the browser: the real engine's /api/ps empties", async () => {
    expect(await loaded()).toEqual([tinyModels.chat, tinyModels.embed].sort());
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/models`);
    expect(await page.$eval('section[data-engine="ollama"] h2', (h) => h.textContent)).toContain(`version ${OLLAMA_VERSION}`);
    await submit(page, `tr[data-model="${tinyModels.chat}"] button`);
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe(`ollama/${tinyModels.chat} unloaded`);
    // Ollama unloads in the background: /api/ps follows within moments.
    await expect.poll(loaded, { timeout: 15_000 }).toEqual([tinyModels.embed]);
    // An embedding model has no generate: the console unloads it with an empty embed instead.
    await submit(page, `tr[data-model="${tinyModels.embed}"] button`);
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe(`ollama/${tinyModels.embed} unloaded`);
    await expect.poll(loaded, { timeout: 15_000 }).toEqual([]);
    await page.close();
  }, 120_000);
});
