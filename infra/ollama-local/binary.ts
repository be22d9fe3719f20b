/**
 * Where the real Ollama build lives: scripts/ensure-ollama.sh builds it once into
 * OLLAMA_CACHE (default ~/.cache/puerta/ollama), outside the repo, at a pinned version.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The version scripts/ensure-ollama.sh builds; tests compare /api/version against it. */
export const OLLAMA_VERSION = '0.17.4';

export function ollamaCacheDir(): string {
  return process.env.OLLAMA_CACHE ?? join(homedir(), '.cache', 'puerta', 'ollama');
}

/** The cached binary when it is present and of the pinned version, else undefined. */
export function ollamaBinary(): string | undefined {
  const bin = join(ollamaCacheDir(), 'bin', 'ollama');
  if (!existsSync(bin)) return undefined;
  try {
    if (readFileSync(join(ollamaCacheDir(), 'bin', 'ollama.version'), 'utf8').trim() !== OLLAMA_VERSION) return undefined;
  } catch {
    return undefined;
  }
  return bin;
}

/** The venv python that has the `gguf` package (for infra/ollama-local/make-tiny-models.py). */
export function ggufPython(): string | undefined {
  const py = join(ollamaCacheDir(), 'venv', 'bin', 'python');
  return existsSync(py) ? py : undefined;
}

/** Both parts present: the real server can run with the tiny models. */
export function ollamaAvailable(): boolean {
  return ollamaBinary() !== undefined && ggufPython() !== undefined;
}
