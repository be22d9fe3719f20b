/** A throwaway redis-server on a free loopback port for a benchmark run (no persistence). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './free-port.ts';
import type { Child } from './processes.ts';

export async function startBenchRedis(): Promise<Child> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'puerta-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode} (installed? scripts/ensure-system-deps.sh redis)`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    url,
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One PING round trip: the port accepts before redis-server is ready to serve. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => sock.write('PING\r\n'));
    sock.once('data', (d) => {
      sock.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    sock.once('error', () => resolve(false));
  });
}
