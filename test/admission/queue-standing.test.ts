import { describe, expect, it } from 'vitest';
import { Gate } from '../../origin/admission/gate.ts';
import { estimateWaitMs, retryAfterSeconds } from '../../origin/admission/wait-estimate.ts';
import type { QueueProbe } from '../../origin/core/admission.ts';

const gate = () => new Gate({ label: "model 'm' on upstream 'u'", slots: 2, maxQueue: 100, waitMs: { interactive: 60_000, batch: 60_000 }, interactiveWeight: 8, reserveInteractive: 0 });

describe('where a queued request stands', () => {
  it('the estimate: slots free as their mean hold runs out, each next round of waiters one mean hold later', () => {
    // Nothing seen held: every slot counts as just taken.
    expect([1, 2, 3, 4, 5].map((p) => estimateWaitMs(p, 2, 1_000))).toEqual([1_000, 1_000, 2_000, 2_000, 3_000]);
    // Held 900 ms and 300 ms of a 1 s mean: free in 100 ms and 700 ms.
    expect([1, 2, 3, 4].map((p) => estimateWaitMs(p, 2, 1_000, [300, 900]))).toEqual([100, 700, 1_100, 1_700]);
    // Held past the mean: it may end any moment.
    expect(estimateWaitMs(1, 1, 1_000, [5_000])).toBe(0);
    expect([retryAfterSeconds(0), retryAfterSeconds(4_200), retryAfterSeconds(10 * 60_000)]).toEqual([1, 5, 60]);
  });

  it('interactive waiters before batch, tenants in their turns; a waiter that leaves moves the rest up; admitted: no standing', async () => {
    const g = gate();
    const never = new AbortController().signal;
    const held = [await g.acquire('x', 'interactive', never), await g.acquire('x', 'interactive', never)];
    const probes: Record<string, QueueProbe> = {};
    const leave = new AbortController();
    const queue = (name: string, tenant: string, cls: 'interactive' | 'batch', signal = never) => {
      probes[name] = {};
      return g.acquire(tenant, cls, signal, 1, 1, probes[name]).catch(() => () => {});
    };
    const waits = [queue('batch-a', 'a', 'batch'), queue('a1', 'a', 'interactive', leave.signal), queue('a2', 'a', 'interactive'), queue('b1', 'b', 'interactive')];
    const pos = () => Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, p.standing?.()?.position]));
    // b came after a's two but goes in a's second turn; batch after every interactive waiter.
    expect(pos()).toEqual({ 'batch-a': 4, a1: 2, a2: 3, b1: 1 });
    leave.abort();
    await new Promise((r) => setTimeout(r, 0));
    expect(pos()).toEqual({ 'batch-a': 3, a1: undefined, a2: 2, b1: 1 });
    held[0]!();
    await new Promise((r) => setTimeout(r, 0));
    expect(pos()).toEqual({ 'batch-a': 2, a1: undefined, a2: 1, b1: undefined });
    expect(probes['a2']!.standing!()!.estimatedWaitMs).toBeGreaterThanOrEqual(0);
    held[1]!();
    for (const w of waits.reverse()) (await w)();
  });
});
