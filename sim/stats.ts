import type { CancelEvent, FaultKind, ModelStats, SimStats } from './types.ts';

const maxCancelEvents = 2000;

function emptyModel(): ModelStats {
  return {
    requests: 0, completed: 0, cancelled: 0, inFlight: 0, active: 0, queued: 0,
    waitingForLoad: 0, maxConcurrent: 0, maxInFlight: 0, loads: 0, unloads: 0, loaded: false,
    promptTokens: 0, prefillTokens: 0, busySlotMs: 0,
  };
}

/** Counters behind /_sim/stats. Live gauges (inFlight, active, queued, loaded) survive a reset. */
export class StatsStore {
  data: SimStats;
  /** When each model's `active` last changed (performance.now()), for busySlotMs. */
  private readonly activeSince = new Map<string, number>();

  constructor(models: string[]) {
    this.data = StatsStore.fresh(models);
  }

  private static fresh(models: string[]): SimStats {
    const m: Record<string, ModelStats> = {};
    for (const name of models) m[name] = emptyModel();
    return {
      requestsByRoute: {}, requestsByModel: {}, completed: 0, cancelled: 0, cancelEvents: [],
      rejected: { '400': 0, '403': 0, '404': 0, '500': 0, '503': 0, other: 0 },
      faultsInjected: { error: 0, reset: 0, stall: 0, 'slow-first-byte': 0, malformed: 0, status: 0, repeat: 0 },
      inFlight: 0, models: m, loads: 0, unloads: 0, maxConcurrentBox: 0,
    };
  }

  model(name: string): ModelStats {
    let s = this.data.models[name];
    if (!s) this.data.models[name] = s = emptyModel();
    return s;
  }

  route(route: string): void {
    this.data.requestsByRoute[route] = (this.data.requestsByRoute[route] ?? 0) + 1;
  }

  request(model: string): void {
    this.data.requestsByModel[model] = (this.data.requestsByModel[model] ?? 0) + 1;
    this.model(model).requests++;
  }

  rejected(status: number): void {
    const r = this.data.rejected;
    if (status === 400 || status === 403 || status === 404 || status === 500 || status === 503) r[String(status) as '400']++;
    else r.other++;
  }

  fault(kind: FaultKind): void {
    this.data.faultsInjected[kind]++;
  }

  cancelled(ev: CancelEvent): void {
    this.data.cancelled++;
    this.model(ev.model).cancelled++;
    const list = this.data.cancelEvents;
    if (list.length >= maxCancelEvents) list.shift();
    list.push(ev);
  }

  /** A prompt reached prefill: `computed` of its `tokens` are computed, the rest reused. */
  prefill(model: string, tokens: number, computed: number): void {
    const m = this.model(model);
    m.promptTokens += tokens;
    m.prefillTokens += computed;
  }

  /** The model's slots in use now: what they were until now goes into busySlotMs. */
  setActive(model: string, active: number): void {
    const m = this.model(model);
    const now = performance.now();
    m.busySlotMs += m.active * (now - (this.activeSince.get(model) ?? now));
    this.activeSince.set(model, now);
    m.active = active;
  }

  completed(model: string): void {
    this.data.completed++;
    this.model(model).completed++;
  }

  reset(): void {
    const next = StatsStore.fresh(Object.keys(this.data.models));
    next.inFlight = this.data.inFlight;
    for (const [name, old] of Object.entries(this.data.models)) {
      const m = next.models[name] as ModelStats;
      m.inFlight = old.inFlight;
      m.active = old.active;
      m.queued = old.queued;
      m.waitingForLoad = old.waitingForLoad;
      m.loaded = old.loaded;
      m.maxConcurrent = old.active;
      m.maxInFlight = old.inFlight;
    }
    this.data = next;
    this.activeSince.clear();
  }

  snapshot(): SimStats {
    for (const [name, m] of Object.entries(this.data.models)) this.setActive(name, m.active);
    return structuredClone(this.data);
  }
}
