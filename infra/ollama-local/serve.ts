/**
 * Runs `ollama serve` from the cached build on a free loopback port with its own OLLAMA_MODELS
 * and HOME, and stops it by its process id. The server and the runners it starts share one
 * process group, which stop() ends too, so no runner outlives a test.
 */
import { spawn } from 'node:child_process';
import { holdsListeningPort } from '../../edge/local/port-owner.ts';
import { watchChildServer } from '../child-server.ts';
import { freePort } from '../../sre/bench/lib/free-port.ts';

export interface OllamaServerSettings {
  /** OLLAMA_MODELS. */
  modelsDir: string;
  /** HOME for the server (it writes ~/.ollama/id_ed25519 there). */
  home: string;
  /** OLLAMA_NUM_PARALLEL: slots per loaded model (default 1). */
  numParallel?: number;
  /** OLLAMA_MAX_QUEUE: requests that may wait for a model load before 503 (default 512). */
  maxQueue?: number;
  /** OLLAMA_MAX_LOADED_MODELS. */
  maxLoadedModels?: number;
  /** OLLAMA_KEEP_ALIVE as a Go duration ("5m", "0", "-1"). */
  keepAlive?: string;
  /** Any other OLLAMA_* variables. */
  env?: Record<string, string>;
  /** Listen on this loopback port (a restarted server keeps its address); a free one by default. */
  port?: number;
}

export interface OllamaProcess {
  pid: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** 127.0.0.1:<port>, as OLLAMA_HOST wants it. */
  hostPort: string;
  /** The server's log so far (the last 256 KiB), for failure messages. */
  log(): string;
  /** Whether the process has exited (crashed or stopped). */
  exited(): boolean;
  stop(): Promise<void>;
}

export async function spawnOllama(bin: string, s: OllamaServerSettings, attempts = 3): Promise<OllamaProcess> {
  if (s.port !== undefined) return spawnOnce(bin, s, s.port);
  let lastError: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      return await spawnOnce(bin, s, await freePort());
    } catch (err) {
      // A port picked as free can be taken before Ollama binds it: try another.
      lastError = err as Error;
    }
  }
  throw lastError ?? new Error('ollama serve did not start');
}

async function spawnOnce(bin: string, s: OllamaServerSettings, port: number): Promise<OllamaProcess> {
  const hostPort = `127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: s.home,
    OLLAMA_HOST: hostPort,
    OLLAMA_MODELS: s.modelsDir,
    OLLAMA_NUM_PARALLEL: String(s.numParallel ?? 1),
    OLLAMA_MAX_QUEUE: String(s.maxQueue ?? 512),
    OLLAMA_MAX_LOADED_MODELS: String(s.maxLoadedModels ?? 3),
    OLLAMA_KEEP_ALIVE: s.keepAlive ?? '5m',
    // Nothing leaves the machine: no update checks or cloud model lookups.
    OLLAMA_NO_CLOUD: '1',
    ...s.env,
  };
  const proc = spawn(bin, ['serve'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = proc.pid!;
  const url = `http://${hostPort}`;
  // The server and its runners live in their own process group, which nothing else would end.
  const child = watchChildServer(proc, () => killGroup(pid, 'SIGKILL'));

  const stop = async (): Promise<void> => {
    await child.stop();
    // Runners the server started (same process group) go too, whatever the server did.
    killGroup(pid, 'SIGKILL');
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exited()) throw new Error(`ollama serve exited before it was ready on ${hostPort}:\n${child.log().slice(-4000)}`);
    try {
      const r = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
      if (r.ok && (holdsListeningPort(pid, port) ?? true)) break;
      if (r.ok) {
        // Someone else answers on this port: ours failed to bind.
        await stop();
        throw new Error(`port ${port} was taken by another process`);
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('port ')) throw err;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ollama serve did not answer on ${hostPort} within 60 s:\n${child.log().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid, url, hostPort, log: child.log, exited: child.exited, stop };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
