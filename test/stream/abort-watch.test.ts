/**
 * One listener on a signal many streams watch (the shutdown's): each watcher is called once, in
 * the order added, and one that unwatched first (its stream ended) is not called at all.
 */
import { describe, expect, it } from 'vitest';
import { unwatchAbort, watchAbort } from '../../origin/core/abort-watch.ts';

describe('watchAbort', () => {
  it('calls every remaining watcher once, in order, through a single listener', () => {
    const ac = new AbortController();
    let listeners = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    const calls: number[] = [];
    const fns = Array.from({ length: 5_000 }, (_, i) => () => calls.push(i));
    for (const f of fns) watchAbort(ac.signal, f);
    // Streams 1 and 3 ended before the shutdown.
    unwatchAbort(ac.signal, fns[1]!);
    unwatchAbort(ac.signal, fns[3]!);
    expect(listeners).toBe(1);
    ac.abort();
    ac.abort();
    expect(calls.slice(0, 4)).toEqual([0, 2, 4, 5]);
    expect(calls).toHaveLength(4_998);
  });

  it('a watcher that ends another stream during the abort keeps that one from being called', () => {
    const ac = new AbortController();
    const calls: string[] = [];
    const b = () => calls.push('b');
    watchAbort(ac.signal, () => {
      calls.push('a');
      unwatchAbort(ac.signal, b);
    });
    watchAbort(ac.signal, b);
    ac.abort();
    expect(calls).toEqual(['a']);
  });
});
