/**
 * A between-bytes limit on waits for the origin, with one timer per stream instead of a timer
 * (and a Promise race) per read. A read only notes when it started; the timer, when it fires,
 * checks the wait in progress and re-arms itself for the time that wait has left. Time the relay
 * spends waiting for the client (backpressure) is no wait for the origin and never counts.
 */
export class IdleWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the read in progress started; -1 while no read is waiting on the origin. */
  private since = -1;
  private stopped = false;
  private readonly check = (): void => {
    this.timer = undefined;
    if (this.stopped || this.since < 0) return;
    const left = this.since + this.ms - Date.now();
    if (left > 0) this.arm(left);
    else {
      this.stop();
      this.onIdle();
    }
  };

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}

  /** A read from the origin starts. */
  waiting(): void {
    if (this.stopped) return;
    this.since = Date.now();
    if (this.timer === undefined) this.arm(this.ms);
  }

  /** The read settled: no wait in progress until the next `waiting()`. */
  settled(): void {
    this.since = -1;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.check, ms);
  }
}
