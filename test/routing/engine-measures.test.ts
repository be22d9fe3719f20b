/**
 * The engines measured by the front door: each finished request's engine timings (its final
 * frame) and the origin's own times, per engine and model, and the puerta_fleet_* metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gate } from '../../origin/admission/gate.ts';
import { EngineMeasures, type Measurement } from '../../origin/routing/engine-measures.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { finishedRecord as finished } from '../helpers/record.ts';
import { postChat, TEST_MODEL } from '../helpers/request.ts';
import { origin } from '../quota/helpers.ts';


describe('EngineMeasures', () => {
  it('learns the cold prefill rate and judges a cached prompt by its evaluation time, not its count', () => {
    const m = new EngineMeasures(500);
    const seen: Measurement[] = [];
    m.onMeasured((x) => seen.push(x));
    // 1,348 tokens cold in 1,090 ms; the same prompt extended, 1,400 tokens in 52 ms (Ollama counts it whole).
    m.onEnd(finished({ promptTokens: 1348, promptEvalMs: 1090, completionTokens: 20, evalMs: 200, loadMs: 2 }, { queue: 40, ttft: 1100, total: 1400 }));
    m.onEnd(finished({ promptTokens: 1400, promptEvalMs: 52, completionTokens: 20, evalMs: 200, loadMs: 2 }));
    expect(seen[0]!.reuse).toBeUndefined();
    expect(seen[1]!.reuse).toBeGreaterThan(0.9);
    const f = m.get('a', 'm')!;
    // The hit did not make the engine look faster at prefill than it is.
    expect(f.prefillTokensPerSecond).toBeCloseTo(1348 / 1.09, 0);
    expect(f.decodeTokensPerSecond).toBeCloseTo(100, 0);
    expect(f.requests).toBe(2);
    expect(seen[0]!).toMatchObject({ queueMs: 40, ttftMs: 1100, serviceMs: 1400, coldLoad: false });
  });

  it('takes the engine\'s cached-token count where it gives one, and counts cold loads over the threshold', () => {
    const m = new EngineMeasures(500);
    const seen: Measurement[] = [];
    m.onMeasured((x) => seen.push(x));
    m.onEnd(finished({ promptTokens: 1000, cachedTokens: 750, loadMs: 8_000 }));
    expect(seen[0]!.reuse).toBe(0.75);
    expect(seen[0]!.coldLoad).toBe(true);
    expect(m.get('a', 'm')!.coldLoads).toBe(1);
    // Failed requests teach nothing.
    m.onEnd({ ...finished({ promptTokens: 10 }), outcome: 'upstream_error' });
    expect(m.get('a', 'm')!.requests).toBe(1);
  });
});

describe('the queue\'s wait estimate', () => {
  it('holds a slot for the engine\'s measured service time until the gate has seen a release of its own', async () => {
    let measured: number | undefined;
    const gate = new Gate({ label: 'm', slots: 1, maxQueue: 10, waitMs: { interactive: 60_000, batch: 60_000 }, interactiveWeight: 3, reserveInteractive: 0, measuredHoldMs: () => measured });
    expect(gate.holdMs).toBe(1_000);
    measured = 4_000;
    expect(gate.holdMs).toBe(4_000);
    const release = await gate.acquire('t', 'interactive', new AbortController().signal);
    release();
    expect(gate.holdMs).toBeLessThan(1_000);
  });
});

describe('puerta_fleet_* metrics (simulated Ollama)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0.02 });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('exports prefill and decode rates, TTFT, queue, service time and cold loads per engine and model', async () => {
    const o = await origin(sim.url, { routing: { coldLoadMs: 1_000 } });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await postChat(o.url, `${'a long prompt '.repeat(40)} ${i} [[sim:tokens=20]]`, { stream: true });
        expect(r.status).toBe(200);
        await r.text();
      }
      const text = await (await fetch(`${o.url}/metrics`)).text();
      const l = `upstream="sim",model="${TEST_MODEL}"`;
      expect(text).toMatch(new RegExp(`puerta_fleet_prefill_tokens_per_second\\{${l}\\} \\d`));
      expect(text).toMatch(new RegExp(`puerta_fleet_decode_tokens_per_second\\{${l}\\} \\d`));
      expect(text).toMatch(new RegExp(`puerta_fleet_ttft_seconds_count\\{${l}\\} 3`));
      expect(text).toMatch(new RegExp(`puerta_fleet_queue_seconds_count\\{${l}\\} 3`));
      expect(text).toMatch(new RegExp(`puerta_fleet_mean_service_seconds\\{${l}\\} \\d`));
      expect(text).toMatch(new RegExp(`puerta_fleet_prompt_tokens_total\\{${l}\\} [1-9]`));
      // The first request loaded the model.
      expect(text).toMatch(new RegExp(`puerta_fleet_cold_loads_total\\{${l}\\} 1\\n`));
      expect(o.deps.router!.measures!.get('sim', TEST_MODEL)!.requests).toBe(3);
    } finally {
      await o.close();
    }
  });
});
