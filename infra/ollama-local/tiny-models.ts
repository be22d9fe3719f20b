/**
 * The tiny models the real Ollama serves in tests and in `npm start`: GGUF files written by
 * make-tiny-models.py, registered with `ollama create` from the Modelfiles beside it. Done once
 * per content (generator, Modelfiles, Ollama version) into a models directory under the cache;
 * each server then gets its own copy, so servers never share state. Nothing is downloaded.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ggufPython, OLLAMA_VERSION, ollamaBinary, ollamaCacheDir } from './binary.ts';
import { spawnOllama } from './serve.ts';

const run = promisify(execFile);
const here = import.meta.dirname;

/** Names as Ollama reports them. */
export const tinyModels = {
  chat: 'tiny-chat:latest',
  repeat: 'tiny-repeat:latest',
  embed: 'tiny-embed:latest',
} as const;

const modelfiles: Record<string, string> = {
  'tiny-chat': 'Modelfile.tiny-chat',
  'tiny-repeat': 'Modelfile.tiny-repeat',
  'tiny-embed': 'Modelfile.tiny-embed',
};

function contentKey(): string {
  const h = createHash('sha256').update(OLLAMA_VERSION);
  for (const f of ['make-tiny-models.py', ...Object.values(modelfiles)]) h.update(f).update(readFileSync(join(here, f)));
  return h.digest('hex').slice(0, 16);
}

/**
 * A ready OLLAMA_MODELS directory holding the tiny models (built on first use). Concurrent
 * callers (parallel test files) build in private directories and the first rename wins.
 */
export async function tinyModelsDir(): Promise<string> {
  const bin = ollamaBinary();
  const python = ggufPython();
  if (!bin || !python) throw new Error(`the Ollama build is missing under ${ollamaCacheDir()}: run scripts/ensure-ollama.sh`);
  const root = join(ollamaCacheDir(), 'models');
  const ready = join(root, contentKey());
  if (existsSync(join(ready, 'manifests'))) return ready;
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, 'build-'));
  try {
    const files = join(work, 'files');
    await run(python, [join(here, 'make-tiny-models.py'), files]);
    for (const f of Object.values(modelfiles)) cpSync(join(here, f), join(files, f));
    const models = join(work, 'models');
    const server = await spawnOllama(bin, { modelsDir: models, home: work });
    try {
      for (const [name, file] of Object.entries(modelfiles)) {
        await run(bin, ['create', name, '-f', join(files, file)], { cwd: files, env: { ...process.env, HOME: work, OLLAMA_HOST: server.hostPort } });
      }
    } finally {
      await server.stop();
    }
    writeFileSync(join(models, 'README'), `Tiny models for Puerta's tests, made by infra/ollama-local (key ${contentKey()}).\n`);
    try {
      renameSync(models, ready);
    } catch (err) {
      // Another process finished first; its directory has the same content.
      if (!existsSync(join(ready, 'manifests'))) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const old of readdirSync(root)) if (old !== contentKey() && !old.startsWith('build-')) rmSync(join(root, old), { recursive: true, force: true });
  return ready;
}
