import type { Logger } from 'pino';
import type { RoutingConfig } from './config.ts';

export interface UpstreamHealthState {
  name: string;
  /** Active checks say it answers (true until checks say otherwise). */
  healthy: boolean;
  consecutiveCheckFailures: number;
  consecutiveFailures: number;
  /** Passive ejection: out of rotation until this time (ms epoch); 0 = not ejected. */
  ejectedUntil: number;
  ejections: number;
  lastError: string | null;
  lastCheckAt: number;
}

/**
 * Whether each upstream is in rotation: active checks (the upstream poller's results, fed to
 * `checked`) and passive ejection
 * (consecutive failed requests take it out for a while, longer each time it happens again).
 */
export class HealthTracker {
  private readonly states = new Map<string, UpstreamHealthState>();

  constructor(
    private readonly cfg: RoutingConfig['health'],
    private readonly log: Logger,
  ) {}

  private state(name: string): UpstreamHealthState {
    let s = this.states.get(name);
    if (!s) {
      s = { name, healthy: true, consecutiveCheckFailures: 0, consecutiveFailures: 0, ejectedUntil: 0, ejections: 0, lastError: null, lastCheckAt: 0 };
      this.states.set(name, s);
    }
    return s;
  }

  available(name: string, now = Date.now()): boolean {
    const s = this.states.get(name);
    return !s || (s.healthy && s.ejectedUntil <= now);
  }

  succeeded(name: string): void {
    const s = this.states.get(name);
    if (!s) return;
    s.consecutiveFailures = 0;
    if (s.ejectedUntil !== 0 && s.ejectedUntil <= Date.now()) {
      s.ejectedUntil = 0;
      s.ejections = 0;
      this.log.info({ upstream: name }, 'upstream answered again after ejection');
    }
  }

  failed(name: string, reason: string): void {
    const s = this.state(name);
    s.consecutiveFailures++;
    s.lastError = reason;
    if (s.consecutiveFailures < this.cfg.ejectAfterFailures) return;
    const now = Date.now();
    if (s.ejectedUntil > now) return;
    const ms = Math.min(this.cfg.maxEjectMs, this.cfg.ejectMs * 2 ** s.ejections);
    s.ejections++;
    s.ejectedUntil = now + ms;
    s.consecutiveFailures = 0;
    this.log.warn({ upstream: name, ejectMs: ms, reason }, 'upstream ejected after consecutive failures');
  }

  checked(name: string, ok: boolean, error?: string): void {
    const s = this.state(name);
    s.lastCheckAt = Date.now();
    if (ok) {
      if (!s.healthy) this.log.info({ upstream: name }, 'upstream healthy again');
      s.healthy = true;
      s.consecutiveCheckFailures = 0;
      return;
    }
    s.consecutiveCheckFailures++;
    s.lastError = error ?? 'check failed';
    if (s.healthy && s.consecutiveCheckFailures >= this.cfg.unhealthyAfter) {
      s.healthy = false;
      this.log.warn({ upstream: name, error: s.lastError }, 'upstream unhealthy: out of rotation until a check passes');
    }
  }

  snapshot(names: readonly string[]): UpstreamHealthState[] {
    const now = Date.now();
    return names.map((n) => {
      const s = { ...this.state(n) };
      if (s.ejectedUntil <= now) s.ejectedUntil = 0;
      return s;
    });
  }
}
