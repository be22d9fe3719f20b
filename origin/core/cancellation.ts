/**
 * What code that waits on a request's behalf (admission's queue, the upstream request) needs of
 * its cancellation: the part of AbortSignal it uses. An AbortSignal is one; so is a Cancel, which
 * a stream makes for its upstream request instead of an AbortController: a controller's signal is
 * an EventTarget, and making one per stream was measurable per request (1.3% of the origin's CPU).
 */
export type AbortListener = (() => void) | { handleEvent(): void };

export interface Cancellation {
  readonly aborted: boolean;
  /** Why it was cancelled; undefined until it is. */
  readonly reason: unknown;
  /** Called once, when cancelled; not if added after (as for an AbortSignal's abort event). */
  addEventListener(type: 'abort', listener: AbortListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
}

/**
 * One request's cancellation, made by its owner, who alone calls cancel(). Listeners are called
 * in the order added, each once; adding one already there does nothing (as on an EventTarget).
 */
export class Cancel implements Cancellation {
  aborted = false;
  reason: unknown = undefined;
  /** Most requests get one or two listeners (the upstream request's, a queued admission's). */
  private listeners: AbortListener[] | null = null;

  addEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.aborted) return;
    const ls = (this.listeners ??= []);
    if (!ls.includes(listener)) ls.push(listener);
  }

  removeEventListener(_type: 'abort', listener: AbortListener): void {
    const ls = this.listeners;
    const i = ls === null ? -1 : ls.indexOf(listener);
    if (i >= 0) ls!.splice(i, 1);
  }

  /** Cancels with `reason` (an AbortError when none is given, as AbortController.abort does); once. */
  cancel(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const ls = this.listeners;
    if (ls === null) return;
    for (const l of [...ls]) {
      // One removed by an earlier listener is not called (as on an EventTarget).
      if (!ls.includes(l)) continue;
      try {
        if (typeof l === 'function') l();
        else l.handleEvent();
      } catch (err) {
        // As an EventTarget does: a failing listener neither stops the others nor the canceller.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    this.listeners = null;
  }
}
