import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../sre/bench/lib/free-port.ts';
import { holdsListeningPort } from '../../edge/local/port-owner.ts';

/**
 * A real redis-server on a free 127.0.0.1 port with its own temp dir, for tests and benchmarks.
 * No persistence: a restart starts empty, as a crashed cache node would. Stopped by its own PID,
 * never by name, so parallel test files and other engineers' servers are left alone.
 */
export interface RedisServer {
  url: string;
  port: number;
  pid(): number | undefined;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** Start again on the same port (data is gone). */
  start(): Promise<void>;
  restart(downMs?: number): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its socket but answers nothing (a hung Redis). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export { freePort };

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        // PING round trip: the port accepts before redis is ready to serve.
        sock.write('PING\r\n');
      });
      sock.once('data', (d) => {
        sock.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function spawnRedis(args: string[], dir: string): ChildProcess {
  const child = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  return child;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

export async function startRedis(opts: { port?: number } = {}): Promise<RedisServer> {
  // A port picked as free can be taken before redis-server binds it; then a PONG could come from
  // another test's Redis. Only a redis-server that holds its own port counts; else pick again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOn(opts.port ?? (await freePort()));
    } catch (err) {
      if (!(err instanceof PortTaken) || opts.port !== undefined || attempt === 3) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startRedisOn(port: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'puerta-redis-'));
  let child: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];

  const start = async () => {
    child = spawnRedis(args, dir);
    const failed = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new PortTaken(`redis-server exited with ${code} (port ${port} taken? is it installed? scripts/ensure-system-deps.sh redis)`))));
    failed.catch(() => {});
    await Promise.race([waitForPort(port, 10_000), failed]);
    if (holdsListeningPort(child.pid!, port) === false) {
      child.kill('SIGKILL');
      throw new PortTaken(`port ${port} is held by another process`);
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.pid === undefined) return;
    try {
      process.kill(c.pid, 'SIGCONT');
      process.kill(c.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await exited(c);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => child?.pid,
    start,
    stop,
    async restart(downMs = 0) {
      await stop();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    pause() {
      if (child?.pid) process.kill(child.pid, 'SIGSTOP');
    },
    resume() {
      if (child?.pid) process.kill(child.pid, 'SIGCONT');
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Sentinel watching `master` (name `mymaster`), from the same redis-server binary. */
export async function startSentinel(master: RedisServer, name = 'mymaster'): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'puerta-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [`port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`, `sentinel down-after-milliseconds ${name} 5000`, ''].join('\n'),
  );
  const child = spawnRedis([conf, '--sentinel'], dir);
  await waitForPort(port, 10_000);
  return {
    port,
    async close() {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
