/**
 * A stream's Cancel (origin/core/cancellation.ts) stands in for an AbortController's signal: for
 * any sequence of adds, removes and cancels, its listeners are called as the signal's would be.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Cancel, type AbortListener, type Cancellation } from '../../origin/core/cancellation.ts';

type Op = { op: 'add'; l: number; once: boolean } | { op: 'remove'; l: number } | { op: 'cancel'; reason: string | undefined };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('add' as const), l: fc.integer({ min: 0, max: 3 }), once: fc.boolean() }),
    fc.record({ op: fc.constant('remove' as const), l: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant('cancel' as const), reason: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }) }),
  ),
  { maxLength: 12 },
);

/** Runs `script` against one cancellation; listener 2 removes listener 3 when called, listener 1 is an object. */
function run(script: Op[], target: Cancellation, cancel: (reason?: unknown) => void): string[] {
  const log: string[] = [];
  const listeners: AbortListener[] = [];
  listeners[0] = () => log.push(`0:${String(target.reason)}`);
  listeners[1] = { handleEvent: () => log.push(`1:${target.aborted}`) };
  listeners[2] = () => {
    log.push('2');
    target.removeEventListener('abort', listeners[3]!);
  };
  listeners[3] = () => log.push('3');
  for (const s of script) {
    if (s.op === 'add') target.addEventListener('abort', listeners[s.l]!, { once: s.once });
    else if (s.op === 'remove') target.removeEventListener('abort', listeners[s.l]!);
    else cancel(s.reason);
    log.push(`aborted=${target.aborted}`);
  }
  return log;
}

describe('Cancel', () => {
  it('calls its listeners as an AbortSignal does', () => {
    fc.assert(
      fc.property(ops, (script) => {
        const controller = new AbortController();
        const expected = run(script, controller.signal as Cancellation, (r) => controller.abort(r));
        const cancel = new Cancel();
        expect(run(script, cancel, (r) => cancel.cancel(r))).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives an AbortError as its reason when cancelled without one, and keeps the first reason', () => {
    const c = new Cancel();
    expect(c.reason).toBeUndefined();
    c.cancel();
    expect((c.reason as DOMException).name).toBe('AbortError');
    c.cancel(new Error('later'));
    expect((c.reason as DOMException).name).toBe('AbortError');
  });

  it('calls the other listeners, and returns to the canceller, when one throws', async () => {
    const c = new Cancel();
    const called: string[] = [];
    c.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    c.addEventListener('abort', () => called.push('second'));
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    c.cancel('why');
    expect(called).toEqual(['second']);
    expect(((await uncaught) as Error).message).toBe('listener failed');
  });
});
