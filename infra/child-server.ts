/**
 * A server process a test or `npm start` runs (Ollama, llama.cpp's server): the tail of what it
 * prints, for the error when it fails to start, and a stop that asks first (SIGTERM) and forces
 * after 10 s. A caller that exits without stopping it (a crash, process.exit) must not leave it
 * behind, so until stop() the process's own exit forces it too.
 */
import type { ChildProcess } from 'node:child_process';

const MAX_LOG = 256 * 1024;

export interface ChildServer {
  /** The last 256 KiB of its stdout and stderr. */
  log(): string;
  exited(): boolean;
  /** SIGTERM, then `forceKill` after 10 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Watches `proc` (spawned with stdout and stderr piped); `forceKill` ends it for good (SIGKILL, or its whole group). */
export function watchChildServer(proc: ChildProcess, forceKill: () => void): ChildServer {
  let log = '';
  const keep = (d: Buffer) => {
    log += d.toString();
    if (log.length > MAX_LOG) log = log.slice(-MAX_LOG);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  process.once('exit', forceKill);
  return {
    log: () => log,
    exited: () => exited,
    async stop() {
      process.off('exit', forceKill);
      if (exited) return;
      proc.kill('SIGTERM');
      const t = setTimeout(forceKill, 10_000);
      await exit;
      clearTimeout(t);
    },
  };
}
