import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BatchConfig } from '../config.ts';
import type { JsonlParser } from '../jsonl/parse.ts';
import type { BatchStore, PhaseWork } from '../store/store.ts';
import type { BatchError, ClaimedLine, LineAnswer, LineRunner } from '../types.ts';
import { unwatchAbort, watchAbort } from '../../core/abort-watch.ts';

/** Answers waiting this long at most before they are written together. */
const FLUSH_MS = 20;
/** Answers written in one statement at most. */
const FLUSH_LINES = 128;

/**
 * This replica's share of the batch work: a pump that keeps `concurrency` lines running, claiming
 * the free ones' worth in one transaction; answers written together after a short window (one
 * statement for many lines); a phase loop that validates new batches and writes
 * the output files of drained, cancelled and expired ones; lease renewal for the lines it holds.
 * Every replica runs one; they coordinate only through the store's leases, so any of them may
 * die at any moment (kill -9) and the others, or its next start, carry on where it was.
 */
export class BatchRunner {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly stop = new AbortController();
  /** Lines claimed and not yet given back or answered in the store (their leases are renewed). */
  private readonly held = new Map<string, ClaimedLine>();
  /** Lines stopped by admission for interactive work since start (each given back to run again). */
  preempted = 0;
  /** Lines whose pipeline is running now. */
  private busy = 0;
  private lineRuns = new Set<Promise<void>>();
  private pending: Array<{ line: ClaimedLine; answer: LineAnswer }> = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private wakers: Array<() => void> = [];
  /** The pump's own, woken when a line ends (the phase loop has no business with that). */
  private pumpWakers: Array<() => void> = [];
  private loops: Promise<void>[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: BatchStore,
    private readonly lines: LineRunner,
    private readonly parser: JsonlParser,
    private readonly cfg: BatchConfig,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.loops.push(this.pump());
    this.loops.push(this.phaseLoop());
    this.timers.push(setInterval(() => void this.renew(), Math.max(250, Math.floor(this.cfg.leaseMs / 3))));
    this.timers.push(setInterval(() => void this.sweep(), 3_600_000));
    for (const t of this.timers) t.unref();
  }

  /** Something new to do (a batch created on this replica): idle loops look now, not at their next poll. */
  wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
    this.wakePump();
  }

  private wakePump(): void {
    const w = this.pumpWakers;
    this.pumpWakers = [];
    for (const f of w) f();
  }

  /** Lines this replica is running now. */
  get running(): number {
    return this.held.size;
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.wake();
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled(this.loops);
    await Promise.allSettled([...this.lineRuns]);
    await this.flush();
  }

  private idle(ms: number, wakers: 'all' | 'pump' = 'all'): Promise<void> {
    if (this.stop.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      (wakers === 'pump' ? this.pumpWakers : this.wakers).push(done);
    });
  }

  /**
   * Keeps `concurrency` lines running: claims the free ones' worth at once, then waits for lines to
   * end. While lines run, it claims only once a quarter of `concurrency` is free: a claim is a
   * transaction that counts every batch's running lines, and one per ended line (hundreds a second
   * with short embedding lines) kept the embedded database's thread busy for little; the lines
   * still running (waiting in the admission queue) keep the slots filled meanwhile.
   */
  private async pump(): Promise<void> {
    const group = Math.max(1, Math.floor(this.cfg.concurrency / 4));
    while (!this.stop.signal.aborted) {
      const free = this.cfg.concurrency - this.busy;
      if (free <= 0 || (free < group && this.busy > 0)) {
        await this.idle(this.cfg.pollMs, 'pump');
        continue;
      }
      let lines: ClaimedLine[] = [];
      try {
        lines = await this.store.claimLines(this.owner, this.cfg.leaseMs, free);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'batch: claiming lines failed; retrying');
      }
      for (const line of lines) {
        const run = this.runLine(line).finally(() => {
          this.lineRuns.delete(run);
          this.wakePump();
        });
        this.lineRuns.add(run);
      }
      if (lines.length < free) await this.idle(this.cfg.pollMs);
    }
  }

  private async runLine(line: ClaimedLine): Promise<void> {
    const key = `${line.batchId}:${line.idx}`;
    this.held.set(key, line);
    this.busy++;
    let answered = false;
    // One signal per line, aborted with the runner's: a Request keeps a listener on the signal it
    // is given, so handing every line the runner's own would add one per line, forever, and a
    // listener of its own per line would pass Node's limit (10) above that concurrency.
    const lineStop = new AbortController();
    const stopLine = () => lineStop.abort();
    if (this.stop.signal.aborted) stopLine();
    else watchAbort(this.stop.signal, stopLine);
    try {
      const out = await this.lines.run(line, lineStop.signal);
      if (out.kind === 'answered') {
        answered = true;
        this.queueAnswer(line, out.answer);
      } else if (out.kind === 'pause') {
        this.log.info({ batch: line.batchId, tenant: line.tenant, ms: out.afterMs }, 'batch: daily token quota used up; batch paused');
        await this.store.pause(this.owner, line, out.afterMs);
      } else if (out.kind === 'preempted') {
        this.preempted++;
        await this.store.release(this.owner, line, 0, false);
      } else {
        await this.store.release(this.owner, line, out.afterMs, out.countsAsAttempt);
      }
    } catch (err) {
      // Shutting down, or the store is unreachable: the line goes back (or its lease runs out).
      if (!this.stop.signal.aborted) this.log.warn({ err: (err as Error).message, batch: line.batchId, line: line.idx }, 'batch: line not finished; it will run again');
      await this.store.release(this.owner, line, 1_000, false).catch(() => {});
    } finally {
      unwatchAbort(this.stop.signal, stopLine);
      this.busy--;
      // An answered line stays held (its lease renewed) until its answer is written.
      if (!answered) this.held.delete(key);
    }
  }

  /** Adds an answer to the next write: at most FLUSH_MS from now, at once when FLUSH_LINES wait. */
  private queueAnswer(line: ClaimedLine, answer: LineAnswer): void {
    this.pending.push({ line, answer });
    if (this.pending.length >= FLUSH_LINES) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes the waiting answers in one statement; one flush at a time, in order. */
  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        const written = await this.store.answerMany(batch);
        written.forEach((w, i) => {
          // Another replica answered it first (this one's lease ran out while it worked): one answer stands.
          if (!w) this.log.info({ batch: batch[i]!.line.batchId, line: batch[i]!.line.idx }, 'batch: line already answered elsewhere');
        });
        // The phase loop looks at once only when this replica's last lines were answered (a batch
        // may have drained); after every write (fifty a second) it would ask the store each time
        // whether one did. A batch drained by lines of several replicas is seen at its next poll.
        if (this.held.size <= batch.length) this.wake();
        else this.wakePump();
      } catch (err) {
        // The store is unreachable: these lines' leases run out and they run again.
        this.log.warn({ err: (err as Error).message, lines: batch.length }, 'batch: writing answers failed; those lines will run again');
      } finally {
        for (const d of batch) this.held.delete(`${d.line.batchId}:${d.line.idx}`);
      }
    });
    return this.flushing;
  }

  private async phaseLoop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      let work: PhaseWork | undefined;
      try {
        work = await this.store.claimPhase(this.owner, this.cfg.leaseMs * 4);
        if (work) await this.runPhase(work);
      } catch (err) {
        this.log.warn({ err: (err as Error).message, batch: work?.id }, 'batch: phase failed; retrying');
        work = undefined;
      }
      if (!work) await this.idle(this.cfg.pollMs);
    }
  }

  private async runPhase(w: PhaseWork): Promise<void> {
    if (w.status === 'validating' && !w.expired) return this.validate(w);
    const to = await this.store.finish(w.id, this.owner, w.expired);
    if (to) this.log.info({ batch: w.id, status: to }, 'batch: finished');
  }

  private async validate(w: PhaseWork): Promise<void> {
    const input = await this.store.inputContent(w.tenant, w.inputFileId);
    const fail = (e: BatchError) => this.store.failValidation(w.id, this.owner, [e]);
    if (!input) return void (await fail({ code: 'invalid_file', message: `input_file_id '${w.inputFileId}' no longer exists`, param: 'input_file_id', line: null }));
    const content = new Uint8Array(input.content).buffer; // a copy: the driver's Buffer may be a view of a larger pool
    const r = await this.parser.run({ kind: 'lines', content, maxLines: this.cfg.maxLines });
    if (!r.ok) return void (await this.store.failValidation(w.id, this.owner, r.errors));
    if (r.kind !== 'lines') return;
    const wrong = r.lines.findIndex((l) => l.url !== w.endpoint);
    if (wrong >= 0) return void (await fail({ code: 'mismatched_endpoint', message: `line ${wrong + 1}: url '${r.lines[wrong]!.url}' differs from the batch's endpoint '${w.endpoint}'; every line must call the batch's endpoint`, param: 'url', line: wrong + 1 }));
    if (await this.store.startBatch(w.id, this.owner, r.lines)) {
      this.log.info({ batch: w.id, lines: r.lines.length }, 'batch: validated, in progress');
      this.wake();
    }
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await this.store.renew(this.owner, [...this.held.values()], this.cfg.leaseMs);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'batch: lease renewal failed');
    }
  }

  private async sweep(): Promise<void> {
    try {
      const gone = await this.store.sweepRetention();
      if (gone.files || gone.batches) this.log.info(gone, 'batch: retention removed files and batches');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'batch: retention sweep failed');
    }
  }
}
