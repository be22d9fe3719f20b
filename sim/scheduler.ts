import { BlockCache, SlotCache, type CacheHold, type PrefixCache } from './prefix-cache.ts';
import type { PromptChain } from './prompt-chain.ts';
import type { ModelConfig, SimOptions } from './types.ts';
import type { StatsStore } from './stats.ts';

/** 503 from Ollama's scheduler when too many requests wait for a model load. */
export class BusyError extends Error {
  constructor() {
    super('server busy, please try again.  maximum pending requests exceeded');
  }
}
/** The client left while the request waited to be scheduled (Ollama answers 499). */
export class CanceledError extends Error {
  constructor() {
    super('request canceled');
  }
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

class ModelState {
  loaded = false;
  loading: Promise<void> | null = null;
  active = 0;
  readonly waiters: Waiter[] = [];
  lastUsed = 0;
  /** Simulated ms; negative = forever. Set by the latest request, as Ollama does. */
  keepAliveMs: number;
  expiresAt = 0;
  expiryTimer: NodeJS.Timeout | null = null;
  /** The KV cache's prompts; dropped with the model on unload. */
  cache: PrefixCache;
  constructor(readonly cfg: ModelConfig, keepAliveMs: number, private readonly persona: SimOptions['persona'], private readonly multiUserCache: boolean) {
    this.keepAliveMs = keepAliveMs;
    this.cache = this.freshCache();
  }

  freshCache(): PrefixCache {
    return this.persona === 'vllm' ? new BlockCache(vllmCacheBlocks) : new SlotCache(() => this.cfg.numParallel, this.multiUserCache);
  }
}

/** The vLLM persona's prefix-cache pool, in blocks (about a million tokens). */
const vllmCacheBlocks = 65_536;

export interface Lease {
  /** Real ms spent waiting for the load and for a slot (reported as load_duration). */
  waitedMs: number;
  /** The request's hold on the model's prefix cache (requests that bring a prompt chain). */
  cache: CacheHold | undefined;
  release(keepAliveMs?: number): void;
}

/**
 * Ollama's scheduler reduced to what a proxy can observe: a model must be loaded before use
 * (cold start), at most maxLoadedModels stay resident (LRU eviction of idle ones), each loaded
 * model has numParallel slots with an unbounded FIFO wait, only requests waiting for a load count
 * against maxQueue, and idle models unload when their keep_alive expires.
 */
export class Scheduler {
  private readonly models = new Map<string, ModelState>();
  private pendingLoads = 0;
  private readonly roomWaiters: Array<() => void> = [];
  /** Summed computeWeight of requests computing right now (prefill or decode). */
  boxLoad = 0;
  boxActive = 0;

  constructor(private opts: SimOptions, private readonly stats: StatsStore) {
    for (const m of opts.models) this.models.set(m.name, new ModelState(m, opts.defaultKeepAliveMs, opts.persona, opts.multiUserCache === true));
    for (const name of opts.preloaded) {
      const s = this.models.get(name);
      if (s) {
        s.loaded = true;
        s.lastUsed = performance.now();
        this.stats.model(name).loaded = true;
      }
    }
  }

  setOptions(opts: SimOptions): void {
    this.opts = opts;
    for (const m of opts.models) {
      const s = this.models.get(m.name);
      if (s) (s as { cfg: ModelConfig }).cfg = m;
      else this.models.set(m.name, new ModelState(m, opts.defaultKeepAliveMs, opts.persona, opts.multiUserCache === true));
    }
  }

  state(name: string): ModelState | undefined {
    return this.models.get(name);
  }

  loadedModels(): ModelState[] {
    return [...this.models.values()].filter((m) => m.loaded);
  }

  /** Slowdown every computing request sees because they share one GPU. */
  slowdown(): number {
    return Math.max(1, this.boxLoad / this.opts.boxCapacity);
  }

  /** Prefill's extra share of the box (ModelConfig.prefillComputeWeight), added and taken back. */
  addLoad(weight: number): void {
    this.boxLoad = Math.max(0, this.boxLoad + weight);
  }

  startCompute(cfg: ModelConfig): void {
    this.boxLoad += cfg.computeWeight;
    this.boxActive++;
    if (this.boxActive > this.stats.data.maxConcurrentBox) this.stats.data.maxConcurrentBox = this.boxActive;
  }

  endCompute(cfg: ModelConfig): void {
    this.boxLoad = Math.max(0, this.boxLoad - cfg.computeWeight);
    this.boxActive--;
  }

  async acquire(name: string, keepAliveMs: number | undefined, signal: AbortSignal, onLoading?: () => void, chain?: PromptChain): Promise<Lease> {
    const s = this.models.get(name);
    if (!s) throw new Error(`unknown model ${name}`);
    const start = performance.now();
    const ms = this.stats.model(name);
    if (keepAliveMs !== undefined) s.keepAliveMs = keepAliveMs;
    this.clearExpiry(s);

    if (!s.loaded) {
      if (this.pendingLoads >= this.opts.maxQueue) throw new BusyError();
      this.pendingLoads++;
      ms.waitingForLoad++;
      onLoading?.();
      try {
        await cancellable(this.ensureLoaded(s), signal);
      } finally {
        this.pendingLoads--;
        ms.waitingForLoad--;
      }
    }

    if (s.active >= s.cfg.numParallel || s.waiters.length > 0) {
      ms.queued++;
      try {
        await new Promise<void>((resolve, reject) => {
          const w: Waiter = { resolve, reject };
          s.waiters.push(w);
          const onAbort = () => {
            const i = s.waiters.indexOf(w);
            if (i >= 0) s.waiters.splice(i, 1);
            reject(new CanceledError());
          };
          if (signal.aborted) return onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
          w.resolve = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
        });
      } finally {
        ms.queued--;
      }
      // the releasing request already counted this slot as taken for us
    } else {
      s.active++;
    }
    if (signal.aborted) {
      this.releaseSlot(s);
      throw new CanceledError();
    }
    this.clearExpiry(s);
    this.stats.setActive(name, s.active);
    if (s.active > ms.maxConcurrent) ms.maxConcurrent = s.active;
    s.lastUsed = performance.now();
    let released = false;
    // The runner picks the cache slot once the request holds one of the model's slots.
    const cache = chain ? s.cache.take(chain) : undefined;
    return {
      waitedMs: performance.now() - start,
      cache,
      release: (ka?: number) => {
        if (released) return;
        released = true;
        if (ka !== undefined) s.keepAliveMs = ka;
        cache?.release();
        this.releaseSlot(s);
      },
    };
  }

  private releaseSlot(s: ModelState): void {
    s.lastUsed = performance.now();
    const next = s.waiters.shift();
    if (next) {
      next.resolve(); // slot passes straight to the next waiter
    } else {
      s.active--;
      this.stats.setActive(s.cfg.name, s.active);
      if (s.active === 0) this.idle(s);
    }
  }

  /** Starts the keep_alive clock on an idle model, or unloads it at once for keep_alive 0. */
  private idle(s: ModelState): void {
    this.wakeRoomWaiters();
    if (!s.loaded) return;
    if (s.keepAliveMs === 0) return this.unload(s);
    if (s.keepAliveMs < 0) {
      s.expiresAt = Infinity;
      return;
    }
    s.expiresAt = Date.now() + s.keepAliveMs;
    const real = s.keepAliveMs * this.opts.timeScale;
    s.expiryTimer = setTimeout(() => this.unload(s), real);
    s.expiryTimer.unref();
  }

  private clearExpiry(s: ModelState): void {
    if (s.expiryTimer) clearTimeout(s.expiryTimer);
    s.expiryTimer = null;
    s.expiresAt = s.keepAliveMs < 0 ? Infinity : Date.now() + s.keepAliveMs;
  }

  /** keep_alive 0 with no prompt: unload now if idle, else as soon as it goes idle. */
  expire(name: string): void {
    const s = this.models.get(name);
    if (!s) return;
    s.keepAliveMs = 0;
    if (s.active === 0 && s.waiters.length === 0) this.unload(s);
  }

  private unload(s: ModelState): void {
    this.clearExpiry(s);
    if (!s.loaded || s.active > 0) return;
    s.loaded = false;
    s.cache = s.freshCache();
    this.stats.data.unloads++;
    const ms = this.stats.model(s.cfg.name);
    ms.unloads++;
    ms.loaded = false;
    this.wakeRoomWaiters();
  }

  private ensureLoaded(s: ModelState): Promise<void> {
    if (s.loaded) return Promise.resolve();
    if (!s.loading) {
      s.loading = (async () => {
        await this.makeRoom(s);
        await sleep(s.cfg.loadMs * this.opts.timeScale);
        s.loaded = true;
        s.lastUsed = performance.now();
        this.stats.data.loads++;
        const ms = this.stats.model(s.cfg.name);
        ms.loads++;
        ms.loaded = true;
      })().finally(() => {
        s.loading = null;
      });
    }
    return s.loading;
  }

  /** Evicts the least recently used idle model, or waits until one goes idle. */
  private async makeRoom(forModel: ModelState): Promise<void> {
    for (;;) {
      const loaded = [...this.models.values()].filter((m) => m.loaded || (m.loading && m !== forModel));
      if (loaded.length < this.opts.maxLoadedModels) return;
      const idle = loaded
        .filter((m) => m.loaded && m.active === 0 && m.waiters.length === 0)
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (idle) {
        this.unload(idle);
        continue;
      }
      await new Promise<void>((r) => this.roomWaiters.push(r));
    }
  }

  private wakeRoomWaiters(): void {
    const ws = this.roomWaiters.splice(0);
    for (const w of ws) w();
  }

  close(): void {
    for (const s of this.models.values()) this.clearExpiry(s);
  }
}

/**
 * Waits at least `ms` of performance.now() time. Node timers run on a coarser clock and can fire
 * up to a millisecond early; at timeScale 0.01 that would report a 5 s load as 4.9 s, so the
 * remainder is waited again.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CanceledError());
    const due = performance.now() + Math.max(0, ms);
    let t: ReturnType<typeof setTimeout>;
    const check = () => {
      const left = due - performance.now();
      if (left > 0) {
        t = setTimeout(check, Math.ceil(left));
        return;
      }
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    t = setTimeout(check, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      reject(new CanceledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function cancellable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new CanceledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CanceledError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
