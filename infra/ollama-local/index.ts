/**
 * The real Ollama server on this machine, for tests and `npm start`: the cached build
 * (scripts/ensure-ollama.sh) serving the tiny models (make-tiny-models.py + Modelfiles).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ollamaBinary, ollamaCacheDir } from './binary.ts';
import { spawnOllama, type OllamaProcess, type OllamaServerSettings } from './serve.ts';
import { tinyModelsDir } from './tiny-models.ts';

export { OLLAMA_VERSION, ollamaAvailable, ollamaBinary, ollamaCacheDir } from './binary.ts';
export { tinyModels } from './tiny-models.ts';
export type { OllamaProcess } from './serve.ts';

export type LocalOllamaOptions = Omit<OllamaServerSettings, 'modelsDir' | 'home'>;

/**
 * Starts `ollama serve` with a private copy of the tiny models in a temporary directory, which
 * stop() removes. Throws (naming the fix) when the build is missing.
 */
export async function startLocalOllama(opts: LocalOllamaOptions = {}): Promise<OllamaProcess> {
  const bin = ollamaBinary();
  if (!bin) throw new Error(`no Ollama build under ${ollamaCacheDir()}: run scripts/ensure-ollama.sh`);
  const source = await tinyModelsDir();
  const dir = mkdtempSync(join(tmpdir(), 'puerta-ollama-'));
  cpSync(source, join(dir, 'models'), { recursive: true });
  try {
    const server = await spawnOllama(bin, { ...opts, modelsDir: join(dir, 'models'), home: dir });
    return {
      ...server,
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
