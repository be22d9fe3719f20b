import { describe, expect, it } from 'vitest';
import { Gate } from '../../origin/admission/gate.ts';

const gate = (over: Partial<ConstructorParameters<typeof Gate>[0]> = {}) =>
  new Gate({ label: "model 'm' on upstream 'u'", slots: 2, maxQueue: 100, waitMs: { interactive: 5_000, batch: 5_000 }, interactiveWeight: 8, reserveInteractive: 0, ...over });
const never = new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('admission gate', () => {
  it('an embedding batch holds one slot per input (capped at the slots its class may use); the next waits its turn', async () => {
    const g = gate({ slots: 4 });
    const batch = await g.acquire('a', 'batch', never, 3);
    expect(g.active).toBe(3);
    let second = false;
    const p = g.acquire('b', 'batch', never, 2).then((r) => ((second = true), r));
    // A single request behind the waiting batch does not overtake it, though one slot is free.
    let single = false;
    const q = g.acquire('c', 'batch', never).then((r) => ((single = true), r));
    await tick();
    expect([g.active, g.queued, second, single]).toEqual([3, 2, false, false]);
    batch();
    const r2 = await p;
    const r3 = await q;
    expect(g.active).toBe(3);
    r2();
    r3();
    // More inputs than slots: the whole model, never a wait that cannot end.
    const huge = await g.acquire('a', 'batch', never, 20_000);
    expect(g.active).toBe(4);
    huge();
    expect(g.active).toBe(0);
  });

  it('never runs more than its slots; the rest wait in the origin', async () => {
    const g = gate();
    const r1 = await g.acquire('a', 'batch', never);
    const r2 = await g.acquire('a', 'batch', never);
    let third = false;
    const p = g.acquire('a', 'batch', never).then((r) => ((third = true), r));
    await tick();
    expect([g.active, g.queued, third]).toEqual([2, 1, false]);
    r1();
    const r3 = await p;
    expect([g.active, g.queued]).toEqual([2, 0]);
    r2();
    r3();
    r3(); // release is idempotent
    expect(g.active).toBe(0);
  });

  it('interactive goes ahead of queued batch work, and batch still gets its turn', async () => {
    const g = gate({ slots: 1, interactiveWeight: 2 });
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const first = await g.acquire('a', 'batch', never);
    const admit = (name: string) => (r: () => void) => {
      order.push(name);
      releases.push(r);
    };
    for (const i of [1, 2, 3]) void g.acquire('a', 'batch', never).then(admit(`b${i}`));
    for (const i of [1, 2, 3, 4]) void g.acquire('b', 'interactive', never).then(admit(`i${i}`));
    first();
    for (let n = 0; n < 7; n++) {
      await tick();
      releases[n]!();
    }
    await tick();
    expect(order).toEqual(['i1', 'i2', 'b1', 'i3', 'i4', 'b2', 'b3']);
    expect(g.active).toBe(0);
  });

  it('is fair between tenants: a newcomer waits at most one slot turn behind a tenant with 100 queued', async () => {
    const g = gate({ slots: 1, maxQueue: 200 });
    const first = await g.acquire('bulk', 'batch', never);
    const served: string[] = [];
    const bulk = Array.from({ length: 100 }, () => g.acquire('bulk', 'batch', never).then((r) => (served.push('bulk'), r)));
    const single = g.acquire('light', 'batch', never).then((r) => (served.push('light'), r));
    first();
    const next = await Promise.race([single, ...bulk]);
    expect(served).toEqual(['light']);
    next();
    for (const b of bulk) (await b)();
    expect(g.active).toBe(0);
  });

  it('answers 503 with Retry-After after the queue wait limit, and when the queue is full', async () => {
    const g = gate({ slots: 1, maxQueue: 1, waitMs: { interactive: 50, batch: 50 } });
    const r = await g.acquire('a', 'interactive', never);
    const waited = g.acquire('a', 'interactive', never);
    await expect(g.acquire('a', 'interactive', never)).rejects.toMatchObject({ status: 503, code: 'queue_full' });
    const e = await waited.catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 503, type: 'overloaded_error', code: 'queue_wait_exceeded' });
    expect((e as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1);
    expect((e as Error).message).toMatch(/waited 50 ms/);
    expect(g.stats.rejectedWaitLimit).toBe(1);
    expect(g.stats.rejectedQueueFull).toBe(1);
    r();
  });

  it('a waiter whose client disconnects leaves the queue at once', async () => {
    const g = gate({ slots: 1 });
    const r = await g.acquire('a', 'batch', never);
    const ctl = new AbortController();
    const p = g.acquire('a', 'batch', ctl.signal);
    expect(g.queued).toBe(1);
    ctl.abort(new Error('client disconnected'));
    await expect(p).rejects.toThrow('client disconnected');
    expect(g.queued).toBe(0);
    expect(g.stats.cancelledWhileQueued).toBe(1);
    r();
    expect(g.active).toBe(0);
  });

  it('keeps reserved slots for interactive work', async () => {
    const g = gate({ slots: 2, reserveInteractive: 1 });
    const b1 = await g.acquire('a', 'batch', never);
    let b2 = false;
    void g.acquire('a', 'batch', never).then(() => (b2 = true));
    const i1 = await g.acquire('b', 'interactive', never);
    await tick();
    expect(b2).toBe(false);
    i1();
    b1();
    await tick();
    expect(b2).toBe(true);
  });

  describe('a tenant holds at most its share of the slots (admission.tenantShare)', () => {
    const HALF = 0.5;

    it('its extra requests wait, keeping their turn, while another tenant takes the free slots', async () => {
      const g = gate({ slots: 4 });
      const a1 = await g.acquire('a', 'interactive', never, 1, HALF);
      const a2 = await g.acquire('a', 'interactive', never, 1, HALF);
      let a3 = false;
      const p3 = g.acquire('a', 'interactive', never, 1, HALF).then((r) => ((a3 = true), r));
      // The capped tenant's waiter does not hold the newcomer back: straight in, twice.
      const b1 = await g.acquire('b', 'interactive', never, 1, HALF);
      const b2 = await g.acquire('b', 'interactive', never, 1, HALF);
      await tick();
      expect([g.active, g.queued, a3]).toEqual([4, 1, false]);
      expect(g.heldByTenant()).toEqual({ a: 2, b: 2 });
      expect(g.stats.queuedOverTenantShare).toBe(1);
      // Another tenant's slot coming back does not let 'a' past its cap…
      b1();
      await tick();
      expect([g.active, a3]).toEqual([3, false]);
      // …its own does.
      a1();
      const r3 = await p3;
      expect(g.heldByTenant()).toEqual({ a: 2, b: 1 });
      for (const r of [a2, r3, b2]) r();
      expect([g.active, g.heldByTenant()]).toEqual([0, {}]);
    });

    it('rounds down, at least one slot; a share of 1 is no cap', async () => {
      const three = gate({ slots: 3 });
      const r = await three.acquire('a', 'interactive', never, 1, HALF);
      let second = false;
      void three.acquire('a', 'interactive', never, 1, HALF).then(() => (second = true));
      await tick();
      expect(second).toBe(false);
      r();
      await tick();
      expect(second).toBe(true);
      const open = gate({ slots: 2 });
      await open.acquire('a', 'interactive', never, 1, 1);
      await open.acquire('a', 'interactive', never, 1, 1);
      expect([open.active, open.heldByTenant()]).toEqual([2, {}]);
    });

    it('leaks nothing: a waiter that gives up, a release called twice and a wait limit leave every count at zero', async () => {
      const g = gate({ slots: 2, waitMs: { interactive: 50, batch: 50 } });
      const held = await g.acquire('a', 'interactive', never, 1, HALF);
      const ctl = new AbortController();
      const gone = g.acquire('a', 'interactive', ctl.signal, 1, HALF);
      const timedOut = g.acquire('a', 'interactive', never, 1, HALF).catch((e: unknown) => e);
      ctl.abort(new Error('client left'));
      await expect(gone).rejects.toThrow('client left');
      const e = (await timedOut) as Error;
      // The refusal says why it waited: its own tenant's share, not a busy model (that is a 503).
      expect(e).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'tenant_share_exceeded', retryable: true });
      expect(e.message).toMatch(/tenant 'a' holds 1 of the 2 slots of model 'm' on upstream 'u', the most one tenant may hold at once \(admission.tenantShare\); this request waited 50 ms/);
      held();
      held();
      expect([g.active, g.queued, g.heldByTenant()]).toEqual([0, 0, {}]);
      // And the tenant gets its slot again at once.
      (await g.acquire('a', 'interactive', never, 1, HALF))();
    });

    it('an embedding batch wider than the cap runs when its tenant holds nothing, and counts as the whole cap', async () => {
      const g = gate({ slots: 4 });
      const batch = await g.acquire('a', 'batch', never, 4, HALF);
      expect([g.active, g.heldByTenant()]).toEqual([4, { a: 2 }]);
      batch();
      expect([g.active, g.heldByTenant()]).toEqual([0, {}]);
    });
  });
});

describe('preemptible batch holders (admission.preemptBatch)', () => {
  it('an interactive request stops the most recently started batch holder and takes its slot, whatever the batch turn', async () => {
    const g = gate({ interactiveWeight: 1 });
    const stopped: string[] = [];
    const releases: Record<string, () => void> = {};
    releases.old = await g.acquire('t', 'batch', never, 1, 1, undefined, () => stopped.push('old'));
    releases.new = await g.acquire('t', 'batch', never, 1, 1, undefined, () => stopped.push('new'));
    // A batch request already waits: without preemption its turn (interactiveWeight 1) could come first.
    let batchIn = false;
    const queuedBatch = g.acquire('t', 'batch', never, 1, 1, undefined, () => stopped.push('queued')).then((r) => ((batchIn = true), r));
    let interactiveIn = false;
    const interactive = g.acquire('u', 'interactive', never).then((r) => ((interactiveIn = true), r));
    await tick();
    expect(stopped).toEqual(['new']);
    expect(interactiveIn).toBe(false);
    // The stopped request ends and gives its slot back: the interactive one has it, not the batch waiter.
    releases.new();
    const ri = await interactive;
    await tick();
    expect([interactiveIn, batchIn, g.active]).toEqual([true, false, 2]);
    ri();
    (await queuedBatch)();
    releases.old();
    expect(g.active).toBe(0);
  });

  it('a batch holder without a way to stop it keeps its slot; the interactive request waits its turn', async () => {
    const g = gate();
    const r1 = await g.acquire('t', 'batch', never);
    const r2 = await g.acquire('t', 'batch', never);
    let interactiveIn = false;
    const p = g.acquire('u', 'interactive', never).then((r) => ((interactiveIn = true), r));
    await tick();
    expect(interactiveIn).toBe(false);
    r1();
    (await p)();
    r2();
  });
});
