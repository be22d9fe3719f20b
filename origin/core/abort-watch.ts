/**
 * Callbacks for one signal that many streams watch at once (the shutdown's). An EventTarget walks
 * its whole listener list on every addEventListener (to refuse a duplicate), so with thousands of
 * open streams each registering its own listener, opening a stream cost time in proportion to the
 * streams already open. Here the signal gets one listener, and each watcher is a Set entry: adding
 * and removing one is constant time, and every watcher is still called once, in the order added.
 */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts (the caller has checked that it has not yet). */
export function watchAbort(signal: AbortSignal, fn: () => void): void {
  let set = watchers.get(signal);
  if (set === undefined) {
    const fresh = new Set<() => void>();
    watchers.set(signal, fresh);
    signal.addEventListener(
      'abort',
      () => {
        // A watcher may end another stream, which unwatches it: that one is then not called.
        for (const f of fresh) f();
        watchers.delete(signal);
      },
      { once: true },
    );
    set = fresh;
  }
  set.add(fn);
}

/** `fn` is no longer called when `signal` aborts. */
export function unwatchAbort(signal: AbortSignal, fn: () => void): void {
  watchers.get(signal)?.delete(fn);
}
