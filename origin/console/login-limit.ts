/**
 * Failed logins are counted per minute across every source: there is one operator credential,
 * and behind a proxy the origin cannot tell callers apart. Past the limit, logins are refused
 * (with Retry-After) until the minute is over, so a guesser gets a handful of tries a minute.
 */
export class LoginLimiter {
  private windowStart = 0;
  private failures = 0;
  private refusalSaid = false;

  constructor(private readonly perMinute: number) {}

  /** Seconds until logins are accepted again; 0 when a try is allowed now. */
  retryAfterS(now = Date.now()): number {
    this.roll(now);
    return this.failures >= this.perMinute ? Math.max(1, Math.ceil((this.windowStart + 60_000 - now) / 1000)) : 0;
  }

  /** True for the first refusal of a window only: a flood of refused logins is one audit line a minute, not one each. */
  firstRefusal(): boolean {
    if (this.refusalSaid) return false;
    this.refusalSaid = true;
    return true;
  }

  failed(now = Date.now()): void {
    this.roll(now);
    this.failures++;
  }

  private roll(now: number): void {
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.failures = 0;
      this.refusalSaid = false;
    }
  }
}
