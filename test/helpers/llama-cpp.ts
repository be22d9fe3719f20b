/**
 * llama.cpp's OpenAI-compatible server in tests: `python -m llama_cpp.server` from the venv
 * scripts/ensure-llama-cpp.sh builds (PyPI llama-cpp-python[server], llama.cpp compiled from
 * source), on a free loopback port, serving the same tiny GGUF models the real Ollama serves
 * (infra/ollama-local/make-tiny-models.py, written once into the cache), stopped by its PID.
 *
 * `npm test` builds it first and sets PUERTA_REQUIRE_LLAMA_CPP=1, so there a missing build is a
 * failure. A bare `npx vitest run` on a machine without it skips these suites, saying why.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe } from 'vitest';
import { ggufPython } from '../../infra/ollama-local/binary.ts';
import { watchChildServer } from '../../infra/child-server.ts';
import { freePort } from '../../sre/bench/lib/free-port.ts';
import { cpuMs } from '../../sre/bench/lib/proc-stat.ts';

const run = promisify(execFile);

export function llamaCppCacheDir(): string {
  return process.env.LLAMA_CPP_CACHE ?? join(homedir(), '.cache', 'puerta', 'llama-cpp');
}

function serverPython(): string | undefined {
  const py = join(llamaCppCacheDir(), 'venv', 'bin', 'python');
  return existsSync(py) && existsSync(join(llamaCppCacheDir(), 'venv.version')) ? py : undefined;
}

export const haveLlamaCpp = serverPython() !== undefined && ggufPython() !== undefined;
const required = process.env.PUERTA_REQUIRE_LLAMA_CPP === '1';
if (!haveLlamaCpp && !required) {
  console.warn(`[llama.cpp] no build under ${llamaCppCacheDir()} (or no gguf venv): llama.cpp suites skipped (scripts/ensure-llama-cpp.sh builds it)`);
}

/** describe() when the server can run (or must: npm test), describe.skip otherwise. */
export const describeLlamaCpp: typeof describe = (haveLlamaCpp || required ? describe : describe.skip) as typeof describe;

/** The names the server gives the tiny models (its model_alias). */
export const llamaModels = { chat: 'tiny-chat', embed: 'tiny-embed' } as const;

/** The tiny GGUF files, written once per generator content into the cache. */
async function tinyGgufDir(): Promise<string> {
  const python = ggufPython();
  if (!python) throw new Error('the gguf venv is missing: run scripts/ensure-ollama.sh');
  const generator = join(import.meta.dirname, '..', '..', 'infra', 'ollama-local', 'make-tiny-models.py');
  const key = createHash('sha256').update(readFileSync(generator)).digest('hex').slice(0, 16);
  const ready = join(llamaCppCacheDir(), 'models', key);
  if (existsSync(join(ready, 'tiny-chat.gguf'))) return ready;
  mkdirSync(join(llamaCppCacheDir(), 'models'), { recursive: true });
  const work = mkdtempSync(join(llamaCppCacheDir(), 'models', 'build-'));
  await run(python, [generator, work]);
  try {
    renameSync(work, ready);
  } catch {
    // Another test file wrote the same files first.
    rmSync(work, { recursive: true, force: true });
  }
  return ready;
}

export interface LlamaCppProcess {
  url: string;
  pid: number;
  /** CPU seconds the server process has used (user + system): it spins while generating. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function startLlamaCpp(): Promise<LlamaCppProcess> {
  const python = serverPython();
  if (!python) throw new Error(`no llama.cpp build under ${llamaCppCacheDir()}: run scripts/ensure-llama-cpp.sh`);
  const models = await tinyGgufDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'puerta-llama-cpp-'));
  const config = join(dir, 'config.json');
  // One thread and a small context, as for Ollama: several servers share a 2-core machine.
  const common = { n_ctx: 2048, n_threads: 1, n_threads_batch: 1, verbose: false };
  writeFileSync(config, JSON.stringify({
    host: '127.0.0.1',
    port,
    models: [
      { ...common, model: join(models, 'tiny-chat.gguf'), model_alias: llamaModels.chat, chat_format: 'chatml' },
      { ...common, model: join(models, 'tiny-embed.gguf'), model_alias: llamaModels.embed, embedding: true },
    ],
  }));
  const proc = spawn(python, ['-m', 'llama_cpp.server', '--config_file', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
  const pid = proc.pid!;
  const child = watchChildServer(proc, () => proc.kill('SIGKILL'));
  const stop = async () => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exited()) throw new Error(`llama_cpp.server exited before it was ready:\n${child.log().slice(-4000)}`);
    try {
      const r = await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`llama_cpp.server not ready on ${url} after 120 s:\n${child.log().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid,
    cpuSeconds: () => cpuMs(pid) / 1000,
    stop,
  };
}
