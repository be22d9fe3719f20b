import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presets } from '../../sim/presets.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { errorTotal, LoadGenerator } from '../../sre/bench/lib/load-generator.ts';
import { clockTicksPerSec, cpuMs, rssOf, withChildren } from '../../sre/bench/lib/proc-stat.ts';
import { startTsProcess, unitNodeFlags } from '../../sre/bench/lib/processes.ts';
import { forcedGc, heapSpaces, inspectPortArgs } from '../../sre/bench/lib/forced-gc.ts';

/** The parts `npm run bench:relay` measures with, against real processes (small and quick). */
describe('relay benchmark harness', () => {
  let sim: Simulator;
  let gen: LoadGenerator;

  beforeAll(async () => {
    const model = { ...presets['llama3.2-3b'], name: 'harness:latest', numParallel: 16, decodeTokensPerSec: 200, baseLatencyMs: 5, computeWeight: 0 };
    sim = await startSimulator({ models: [model], preloaded: ['harness:latest'], boxCapacity: 1e9 });
    gen = await LoadGenerator.start(2);
  }, 60_000);
  afterAll(async () => {
    await gen?.close();
    await sim?.close();
  });

  it('reads another Node process\'s heap spaces and collects its garbage through its inspector port, then reads what it holds', async () => {
    const { port, args } = await inspectPortArgs();
    // Holds 8 MiB it keeps, and makes 32 MiB of garbage; says when it is done.
    const child = spawn(process.execPath, [...args, '-e', 'globalThis.kept = Buffer.alloc(8 << 20, 1); for (let i = 0; i < 32; i++) new Array(1 << 15).fill({ i }); console.log("ready"); setTimeout(() => {}, 60_000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      // Where its memory is, read before anything is collected: the Buffer outside the heap, the arrays in it.
      const spaces = await heapSpaces({ pid: child.pid!, port });
      expect(spaces.external).toBeGreaterThanOrEqual(8 << 20);
      expect(spaces.newSpace + spaces.oldSpace + spaces.largeObjects).toBeGreaterThan(1 << 20);
      expect(spaces.code).toBeGreaterThan(0);
      const m = await forcedGc({ pid: child.pid!, port });
      expect(m.external).toBeGreaterThanOrEqual(8 << 20);
      expect(m.heapUsed).toBeGreaterThan(0);
      expect(m.heapUsed).toBeLessThan(32 << 20);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it("runs the origin and the Node floors with the systemd unit's node flags, which this node accepts", () => {
    const flags = unitNodeFlags();
    expect(flags).toEqual(['--enable-source-maps', '--no-memory-reducer']);
    // An unknown flag would stop node before the script: it says "bad option" and exits 9.
    const r = spawnSync(process.execPath, [...flags, '-e', 'console.log("started")'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('started');
  });

  it('reads CPU time, RSS and child processes from /proc', async () => {
    expect(clockTicksPerSec).toBeGreaterThan(0);
    // Spends 200 ms of its own CPU (however long that takes on a loaded machine), then says so.
    const busy = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < 200_000); console.log("spent"); setTimeout(() => {}, 60_000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => busy.stdout!.once('data', r));
      expect(cpuMs(busy.pid!)).toBeGreaterThanOrEqual(150);
      expect(rssOf(busy.pid!)).toBeGreaterThan(1 << 20);
      expect(withChildren(process.pid)).toContain(busy.pid);
    } finally {
      busy.kill('SIGKILL');
    }
    // A process that is gone costs nothing rather than throwing mid-measurement.
    await new Promise((r) => busy.once('exit', r));
    expect(cpuMs(busy.pid!)).toBe(0);
    expect(rssOf(busy.pid!)).toBe(0);
  });

  it('runs streams to [DONE] across several generator processes and merges their figures', async () => {
    const r = await gen.run({ base: sim.url, models: ['harness:latest'], tokens: 10, n: 6, deadlineMs: 30_000 });
    expect(r.errors).toEqual({});
    expect(r.ttft).toHaveLength(6);
    // Role, ten tokens, finish and [DONE]: at least 12 events a stream, from both workers.
    expect(r.events).toBeGreaterThanOrEqual(6 * 12);
    expect(r.busiestWorkerCore).toBeGreaterThanOrEqual(0);
  });

  it('counts a stream that ends without [DONE] or with an error status', async () => {
    const r = await gen.run({ base: sim.url, models: ['no-such-model:latest'], tokens: 4, n: 2, deadlineMs: 30_000 });
    expect(errorTotal(r.errors)).toBe(2);
    expect(Object.keys(r.errors)[0]).toMatch(/^http 4/);
  });

  it('holds streams open until released, then cancels them and the engine frees them', async () => {
    const held = await gen.hold({ base: sim.url, models: ['harness:latest'], tokens: 1_000_000, n: 4, deadlineMs: 30_000 });
    expect(held.open).toEqual({ opened: 4, errors: {}, done: 0 });
    const end = await held.release();
    expect(end.errors).toEqual({});
    const deadline = Date.now() + 10_000;
    while (sim.stats().models['harness:latest']!.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(sim.stats().models['harness:latest']!.inFlight).toBe(0);
  });

  it('every bare Node relay (the floors beside nginx) relays whole streams and lets go of cancelled ones', async () => {
    for (const kind of ['tcp', 'http', 'http-raw', 'undici', 'undici-raw', 'dispatch']) {
      const bare = await startTsProcess('sre/bench/lib/bare-relay.ts', [sim.url, kind], {}, (l) => /^BARE_URL (\S+)/.exec(l)?.[1]);
      try {
        const r = await gen.run({ base: bare.url, models: ['harness:latest'], tokens: 10, n: 4, deadlineMs: 30_000 });
        expect({ kind, errors: r.errors }).toEqual({ kind, errors: {} });
        expect(r.events).toBeGreaterThanOrEqual(4 * 12);
        const held = await gen.hold({ base: bare.url, models: ['harness:latest'], tokens: 1_000_000, n: 2, deadlineMs: 30_000 });
        expect(held.open.opened).toBe(2);
        await held.release();
        const deadline = Date.now() + 10_000;
        while (sim.stats().models['harness:latest']!.inFlight > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
        expect({ kind, inFlight: sim.stats().models['harness:latest']!.inFlight }).toEqual({ kind, inFlight: 0 });
      } finally {
        await bare.stop();
      }
    }
  }, 120_000);
});
