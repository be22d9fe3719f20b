import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presets } from '../../sim/presets.ts';
import { LoadGenerator } from '../../sre/bench/lib/load-generator.ts';
import { buildOrigin, freePort, startOriginProcess, startTsProcess, type Child } from '../../sre/bench/lib/processes.ts';
import { rssOf } from '../../sre/bench/lib/proc-stat.ts';

/**
 * One origin process holds 10,000 concurrent open streams (loopback only, real processes: the
 * built origin, the simulator in its own process, two load-generator processes of 5,000 clients
 * each). A process may hold 20,000 file descriptors and a relaying stream costs the origin two
 * (client and upstream), so 9,000 streams relay (three models of 3,000 engine slots) and 1,000
 * wait in the admission queue, committed and kept alive by keepalive comments. Behaviour only:
 * the RSS figure is printed; its goal lives in `npm run bench:relay`.
 */
const STREAMS = 10_000;
const MODELS = ['scale-a:latest', 'scale-b:latest', 'scale-c:latest'];
const SLOTS_PER_MODEL = 3_000;
const FAST = 'scale-fast:latest';

interface ModelStats {
  inFlight: number;
  maxInFlight: number;
}

describe('one origin process holds 10,000 open streams', () => {
  let sim: Child;
  let origin: Child;
  let gen: LoadGenerator;

  beforeAll(async () => {
    // A first token at once, then one every 20 s, and answers far longer than the test: the
    // streams stay open until the clients hang up, so every one of them is open at the same time,
    // and 10,000 mostly idle streams leave a loaded 2-core machine enough CPU to open them all.
    const slow = MODELS.map((name) => ({ ...presets['llama3.2-3b'], name, numParallel: SLOTS_PER_MODEL, decodeTokensPerSec: 0.05, baseLatencyMs: 30, computeWeight: 0 }));
    const fast = { ...presets['llama3.2-3b'], name: FAST, numParallel: 4, decodeTokensPerSec: 200, baseLatencyMs: 10, computeWeight: 0 };
    const simOpts = { port: await freePort(), models: [...slow, fast], preloaded: [...MODELS, FAST], boxCapacity: 1e9, timeScale: 1, maxQueue: 100_000 };
    sim = await startTsProcess('sre/bench/lib/sim-process.ts', [JSON.stringify(simOpts)], {}, (l) => /^SIM_URL (\S+)/.exec(l)?.[1]);
    buildOrigin();
    origin = await startOriginProcess({
      OLLAMA_URL: sim.url,
      UPSTREAM_MODELS: [...MODELS, FAST].join(','),
      OLLAMA_NUM_PARALLEL: String(SLOTS_PER_MODEL),
      ADMISSION_MAX_QUEUE: '2000',
      QUEUE_WAIT_MS: '600000',
      // A queued stream is committed (200 and headers) at its first keepalive.
      KEEPALIVE_INTERVAL_MS: '5000',
    });
    gen = await LoadGenerator.start(2);
  }, 120_000);

  afterAll(async () => {
    await gen?.close();
    await origin?.stop();
    await sim?.stop();
  });

  it('opens every stream, relays or queues it without an error, and frees every slot when the clients leave', async () => {
    const simStats = async () => ((await (await fetch(`${sim.url}/_sim/stats`)).json()) as { models: Record<string, ModelStats> }).models;
    const rssBefore = rssOf(origin.pid);

    const held = await gen.hold({ base: origin.url, models: MODELS, tokens: 100_000, n: STREAMS, deadlineMs: 300_000 });
    const rssOpen = rssOf(origin.pid);
    const perStreamKiB = (rssOpen - rssBefore) / STREAMS / 1024;
    console.log(`origin RSS with ${STREAMS} open streams: ${(rssOpen / 1048576).toFixed(0)} MiB (${(rssBefore / 1048576).toFixed(0)} MiB before), ${perStreamKiB.toFixed(1)} KiB per stream`);
    const atPeak = await simStats();
    const released = await held.release();

    // Every client got its first bytes (a token, or a keepalive while queued), none failed.
    expect(held.open.errors).toEqual({});
    expect(held.open.opened).toBe(STREAMS);
    expect(released.errors).toEqual({});
    // The engine saw exactly its slots' worth, never more: the rest waited in the origin's queue.
    for (const m of MODELS) {
      expect(atPeak[m]!.inFlight).toBe(SLOTS_PER_MODEL);
      expect(atPeak[m]!.maxInFlight).toBeLessThanOrEqual(SLOTS_PER_MODEL);
    }
    // A leak guard, not a goal: a stream that buffered its whole answer would cost far more.
    expect(perStreamKiB).toBeLessThan(1024);

    // The clients hung up: every upstream request is cancelled and every slot comes back.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = await simStats();
      if (MODELS.every((m) => s[m]!.inFlight === 0)) break;
      if (Date.now() > deadline) throw new Error(`engine still holds ${MODELS.map((m) => s[m]!.inFlight).join('/')} requests after the clients left`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // And the origin's own slots came back too: a whole stream of every model runs to [DONE]
    // (a slot still held would leave these waiting in the queue past the deadline).
    const after = await gen.run({ base: origin.url, models: [...MODELS, FAST], tokens: 1, n: 8, deadlineMs: 60_000 });
    expect(after.errors).toEqual({});
    expect(after.ttft.length).toBe(8);
  }, 420_000);
});
