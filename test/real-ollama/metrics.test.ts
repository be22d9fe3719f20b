/**
 * The origin's upstream watch against the real server: version from /api/version, resident models
 * from /api/ps (on CPU size_vram is 0, and the gauge says so), loads, and the restart detector:
 * a real restart between two polls loses every loaded model (counted), while an engine that comes
 * back from an outage with nothing loaded before it is no evidence (not counted).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { describeOllama, OLLAMA_VERSION, startOllama, tinyModels, type OllamaProcess } from '../helpers/ollama.ts';
import { scrape, sumOf } from '../metrics/helpers.ts';

describeOllama('metrics and the restart detector against real Ollama', () => {
  let engine: OllamaProcess;
  let origin: RunningOrigin;
  let port: number;
  const poll = () => origin.deps.telemetry!.watch.pollNow();
  const load = async (keepAlive: string) => {
    const r = await fetch(`${engine.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: tinyModels.chat, keep_alive: keepAlive }) });
    expect(r.status).toBe(200);
    await r.text();
  };
  const restartEngine = async () => {
    await engine.stop();
    engine = await startOllama({ port });
  };

  beforeAll(async () => {
    engine = await startOllama();
    port = Number(new URL(engine.url).port);
    origin = await startOrigin({
      env: {},
      overrides: { log: { level: 'silent' }, server: { port: 0 }, routing: { health: { intervalMs: 0 } }, upstreams: [{ name: 'ollama', url: engine.url }] },
    });
  });
  afterAll(async () => {
    await origin?.close();
    await engine?.stop();
  });

  it('reads the version and the resident models from the real engine', async () => {
    await poll();
    let m = await scrape(origin.url);
    expect(sumOf(m, 'puerta_upstream_up', 'upstream="ollama"')).toBe(1);
    expect(sumOf(m, 'puerta_upstream_info', `version="${OLLAMA_VERSION}"`)).toBe(1);
    expect(sumOf(m, 'puerta_upstream_models_loaded', 'upstream="ollama"')).toBe(0);
    await load('1h');
    await poll();
    m = await scrape(origin.url);
    expect(sumOf(m, 'puerta_upstream_models_loaded', 'upstream="ollama"')).toBe(1);
    expect(m.has(`puerta_upstream_model_vram_bytes{upstream="ollama",model="${tinyModels.chat}"}`)).toBe(true);
    expect(sumOf(m, 'puerta_upstream_model_loads_total', `model="${tinyModels.chat}"`)).toBe(1);
  });

  it('counts a restart that lost the loaded models, not an outage with nothing to lose', async () => {
    // Loaded for an hour, then the engine restarts between two polls: every model gone early.
    await load('1h');
    await poll();
    await restartEngine();
    await poll();
    let m = await scrape(origin.url);
    expect(sumOf(m, 'puerta_upstream_up', 'upstream="ollama"')).toBe(1);
    expect(sumOf(m, 'puerta_upstream_restarts_total', 'reason="models_vanished"')).toBe(1);
    expect(sumOf(m, 'puerta_upstream_models_loaded', 'upstream="ollama"')).toBe(0);

    // Down and up again with nothing loaded: the engine lost nothing, so no restart is claimed.
    await engine.stop();
    await poll();
    m = await scrape(origin.url);
    expect(sumOf(m, 'puerta_upstream_up', 'upstream="ollama"')).toBe(0);
    engine = await startOllama({ port });
    await poll();
    m = await scrape(origin.url);
    expect(sumOf(m, 'puerta_upstream_up', 'upstream="ollama"')).toBe(1);
    expect(sumOf(m, 'puerta_upstream_restarts_total')).toBe(1);
  });
});
