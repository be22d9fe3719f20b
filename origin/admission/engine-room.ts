import type { EngineLoad } from '../upstream/engine-load.ts';

/**
 * All a gate needs to know of an engine's own load: whether the engine says it has no room for
 * more work now. Gates hold new requests in the origin's queue while it does.
 */
export interface EngineRoom {
  /** Why the engine says it is saturated (for messages), or undefined: room, no reading, or a stale one. */
  saturated(): string | undefined;
  /** Runs `listener` whenever the answer may have changed (a new reading, a reading going stale). */
  onChange(listener: () => void): void;
}

export interface SaturationLimits {
  /** Saturated while the engine reports more requests waiting in its own queue than this. */
  waiting: number;
  /** Saturated while the engine reports more of its KV cache in use than this share (0..1). */
  kvCacheUsage: number;
  /** A reading older than this no longer counts (the poller stopped reaching the engine's metrics). */
  staleMs: number;
}

interface Reading {
  load: EngineLoad;
  at: number;
  /** Wakes the gates when this reading goes stale, so a held queue never waits on a dead figure. */
  staleTimer: NodeJS.Timeout;
}

/**
 * The engines' own load (their /metrics, read by the upstream poller) as one EngineRoom per
 * upstream. Without a reading (no metricsPath, a failed poll, a stale figure) an engine always
 * has room: admission falls back to its slots alone, so missing metrics can never block it.
 */
export class EngineSaturation {
  private readonly readings = new Map<string, Reading>();
  private readonly listeners = new Map<string, Array<() => void>>();

  constructor(private readonly limits: SaturationLimits) {}

  /** What one poll of `upstream` said of the engine's load (undefined: nothing, or the poll failed). */
  observe(upstream: string, load: EngineLoad | undefined, at = Date.now()): void {
    const before = this.readings.get(upstream);
    if (before) clearTimeout(before.staleTimer);
    if (load) {
      // The timer itself retires the reading: a timer may fire a millisecond before Date.now()
      // says the age has passed, and a reading still counted then would hold the queue for good.
      const retire = () => {
        if (this.readings.get(upstream) !== reading) return;
        this.readings.delete(upstream);
        this.notify(upstream);
      };
      const reading: Reading = { load, at, staleTimer: setTimeout(retire, Math.max(0, at + this.limits.staleMs - Date.now())) };
      reading.staleTimer.unref();
      this.readings.set(upstream, reading);
    } else this.readings.delete(upstream);
    if (load || before) this.notify(upstream);
  }

  saturated(upstream: string, now = Date.now()): string | undefined {
    const r = this.readings.get(upstream);
    if (!r || now - r.at > this.limits.staleMs) return undefined;
    const { waiting, kvCacheUsage } = r.load;
    if (waiting > this.limits.waiting) return `the engine reports ${waiting} requests waiting in its own queue (admission.engineWaitingLimit ${this.limits.waiting})`;
    if (kvCacheUsage !== undefined && kvCacheUsage > this.limits.kvCacheUsage) {
      return `the engine reports ${Math.round(kvCacheUsage * 100)}% of its KV cache in use (admission.engineKvCacheLimit ${this.limits.kvCacheUsage})`;
    }
    return undefined;
  }

  room(upstream: string): EngineRoom {
    return {
      saturated: () => this.saturated(upstream),
      onChange: (listener) => {
        const list = this.listeners.get(upstream);
        if (list) list.push(listener);
        else this.listeners.set(upstream, [listener]);
      },
    };
  }

  private notify(upstream: string): void {
    for (const l of this.listeners.get(upstream) ?? []) l();
  }

  close(): void {
    for (const r of this.readings.values()) clearTimeout(r.staleTimer);
    this.readings.clear();
  }
}
