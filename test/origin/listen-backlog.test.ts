/**
 * server.listenBacklog is the listen(2) backlog: while the origin's event loop is busy, the
 * kernel completes and holds that many connections of a burst; the rest lose their SYN and retry
 * seconds later. The origin process is stopped (SIGSTOP) so it accepts nothing, then a burst of
 * connections is made: as many complete as the backlog allows.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOrigin, startOriginProcess, type Child } from '../../sre/bench/lib/processes.ts';

const BURST = 1_200;

let origin: Child | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  if (origin) process.kill(origin.pid, 'SIGCONT');
  for (const s of sockets.splice(0)) s.destroy();
  await origin?.stop();
  origin = undefined;
});

/** Connections of a burst that complete within `waitMs` while the origin accepts none. */
async function completedWhileStopped(o: Child, waitMs: number): Promise<number> {
  const { port } = new URL(o.url);
  process.kill(o.pid, 'SIGSTOP');
  let connected = 0;
  for (let i = 0; i < BURST; i++) {
    const s = connect(Number(port), '127.0.0.1');
    s.on('connect', () => connected++);
    s.on('error', () => undefined);
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, waitMs));
  return connected;
}

describe('listen backlog', () => {
  it('the default (511) holds about 511 connections of a burst the origin cannot accept yet; LISTEN_BACKLOG=2048 holds all 1,200', async () => {
    buildOrigin();
    const env = { OLLAMA_URL: 'http://127.0.0.1:9', UPSTREAM_MODELS: 'm:latest', LOG_LEVEL: 'error' };
    origin = await startOriginProcess(env);
    const byDefault = await completedWhileStopped(origin, 1_500);
    process.kill(origin.pid, 'SIGCONT');
    for (const s of sockets.splice(0)) s.destroy();
    await origin.stop();

    origin = await startOriginProcess({ ...env, LISTEN_BACKLOG: '2048' });
    const raised = await completedWhileStopped(origin, 1_500);
    // Linux completes backlog + 1 connections, the backlog capped by the kernel's somaxconn.
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const held = (backlog: number) => Math.min(BURST, Math.min(backlog, somaxconn) + 1);
    expect(byDefault).toBeGreaterThanOrEqual(held(511) - 10);
    expect(byDefault).toBeLessThanOrEqual(held(511));
    expect(raised).toBeGreaterThanOrEqual(held(2048) - 10);
    expect(raised).toBeGreaterThan(byDefault);
  }, 60_000);
});
