/**
 * admission.batchLookahead: stoppable batch lines may wait in the engine's own queue beyond the
 * slots while the model runs only batch work, so a slot the engine frees is refilled at once.
 * Interactive work never queues behind them: they are the first stopped, an interactive request
 * is let in only while the count is below the slots, and while one holds a slot there is none.
 */
import { describe, expect, it } from 'vitest';
import { Gate } from '../../origin/admission/gate.ts';

const gate = (over: Partial<ConstructorParameters<typeof Gate>[0]> = {}) =>
  new Gate({ label: "model 'm' on upstream 'u'", slots: 2, maxQueue: 100, waitMs: { interactive: 5_000, batch: 5_000 }, interactiveWeight: 8, reserveInteractive: 0, batchLookahead: 1, ...over });
const never = new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('batch lookahead (admission.batchLookahead)', () => {
  it('lets one stoppable batch line past the slots; the next waits in the origin', async () => {
    const g = gate();
    const stop = () => {};
    const held = [await g.acquire('t', 'batch', never, 1, 1, undefined, stop), await g.acquire('t', 'batch', never, 1, 1, undefined, stop), await g.acquire('t', 'batch', never, 1, 1, undefined, stop)];
    let fourth = false;
    const p = g.acquire('t', 'batch', never, 1, 1, undefined, stop).then((r) => ((fourth = true), r));
    await tick();
    expect([g.active, g.queued, fourth]).toEqual([3, 1, false]);
    held[0]!();
    held.push(await p);
    expect(g.active).toBe(3);
    for (const r of held.slice(1)) r();
    expect(g.active).toBe(0);
  });

  it('a batch request that cannot be stopped, and any with reserveInteractive, stays within the slots', async () => {
    for (const g of [gate(), gate({ slots: 3, reserveInteractive: 1 })]) {
      const cap = g.limit - (g.s.reserveInteractive > 0 ? 1 : 0);
      const stop = g.s.reserveInteractive > 0 ? () => {} : undefined;
      const held: Array<() => void> = [];
      for (let i = 0; i < cap; i++) held.push(await g.acquire('t', 'batch', never, 1, 1, undefined, stop));
      let past = false;
      const p = g.acquire('t', 'batch', never, 1, 1, undefined, stop).then((r) => ((past = true), r));
      await tick();
      expect([g.active, past]).toEqual([cap, false]);
      held[0]!();
      (await p)();
      for (const r of held.slice(1)) r();
      expect(g.active).toBe(0);
    }
  });

  it('an interactive request stops the line waiting past the slots and one running line, and is let in below the slots', async () => {
    const g = gate();
    const stopped: string[] = [];
    const r: Record<string, () => void> = {};
    for (const name of ['a', 'b', 'queued']) r[name] = await g.acquire('t', 'batch', never, 1, 1, undefined, () => stopped.push(name));
    expect(g.active).toBe(3);
    let interactiveIn = false;
    const interactive = g.acquire('u', 'interactive', never).then((rel) => ((interactiveIn = true), rel));
    await tick();
    // Most recently started first: the one in the engine's queue, then a running one.
    expect(stopped).toEqual(['queued', 'b']);
    // While it waits, no batch line takes a lookahead place.
    let batchIn = false;
    const batch = g.acquire('t', 'batch', never, 1, 1, undefined, () => stopped.push('later')).then((rel) => ((batchIn = true), rel));
    r.queued!();
    await tick();
    // Two of two slots still held (a, b): the engine has no room yet.
    expect([interactiveIn, batchIn, g.active]).toEqual([false, false, 2]);
    r.b!();
    const ri = await interactive;
    await tick();
    expect(interactiveIn).toBe(true);
    // While an interactive request holds a slot, no lookahead: the batch waiter waits for a slot.
    expect([batchIn, g.active]).toEqual([false, 2]);
    ri();
    const rb = await batch;
    expect(g.active).toBe(2);
    // Only batch work again: a further line may wait in the engine's queue.
    const more = await g.acquire('t', 'batch', never, 1, 1, undefined, () => {});
    expect(g.active).toBe(3);
    more();
    rb();
    r.a!();
    expect(g.active).toBe(0);
  });
});
