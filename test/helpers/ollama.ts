/**
 * The real Ollama server in tests: `ollama serve` from the cached build (scripts/ensure-ollama.sh)
 * on a free loopback port, serving the tiny models (infra/ollama-local), stopped by its PID.
 *
 * `npm test` builds Ollama first and sets PUERTA_REQUIRE_OLLAMA=1, so there a missing build is a
 * failure. A bare `npx vitest run` on a machine without the build skips these suites, saying why.
 */
import { describe } from 'vitest';
import { ollamaAvailable, ollamaCacheDir, startLocalOllama, tinyModels, type LocalOllamaOptions, type OllamaProcess } from '../../infra/ollama-local/index.ts';

export { OLLAMA_VERSION, tinyModels } from '../../infra/ollama-local/index.ts';
export type { OllamaProcess } from '../../infra/ollama-local/index.ts';

export const haveOllama = ollamaAvailable();
const required = process.env.PUERTA_REQUIRE_OLLAMA === '1';

if (!haveOllama && !required) {
  console.warn(`[real Ollama] no build under ${ollamaCacheDir()}: real-Ollama suites skipped (scripts/ensure-ollama.sh builds it)`);
}

/** describe() when the real server can run (or must: npm test), describe.skip otherwise. */
export const describeOllama: typeof describe = (haveOllama || required ? describe : describe.skip) as typeof describe;

/** Starts a real server; `stop()` ends it and its runners and removes its model copy. */
export function startOllama(opts: LocalOllamaOptions = {}): Promise<OllamaProcess> {
  return startLocalOllama(opts);
}

/** Loads `model` so the first measured request does not include the load. */
export async function warm(url: string, model: string = tinyModels.chat): Promise<void> {
  const r = await fetch(`${url}/api/generate`, { method: 'POST', body: JSON.stringify({ model }) });
  if (r.status !== 200) throw new Error(`warming ${model}: ${r.status} ${await r.text()}`);
}
