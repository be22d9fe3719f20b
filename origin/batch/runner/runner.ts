import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BatchConfig } from '../config.ts';
import type { JsonlParser } from '../jsonl/parse.ts';
import type { BatchStore, PhaseWork } from '../store/store.ts';
import type { BatchError, ClaimedLine, LineRunner } from '../types.ts';

/**
 * This replica's share of the batch work: `concurrency` line loops, each claiming a line under a
 * lease, running it and writing its answer; a phase loop that validates new batches and writes
 * the output files of drained, cancelled and expired ones; lease renewal for the lines it holds.
 * Every replica runs one; they coordinate only through the store's leases, so any of them may
 * die at any moment (kill -9) and the others, or its next start, carry on where it was.
 */
export class BatchRunner {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly stop = new AbortController();
  private readonly held = new Map<string, ClaimedLine>();
  private wakers: Array<() => void> = [];
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
    for (let i = 0; i < this.cfg.concurrency; i++) this.loops.push(this.lineLoop());
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
  }

  private idle(ms: number): Promise<void> {
    if (this.stop.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakers.push(done);
    });
  }

  private async lineLoop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      let line: ClaimedLine | undefined;
      try {
        line = await this.store.claimLine(this.owner, this.cfg.leaseMs);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'batch: claiming a line failed; retrying');
      }
      if (!line) {
        await this.idle(this.cfg.pollMs);
        continue;
      }
      await this.runLine(line);
    }
  }

  private async runLine(line: ClaimedLine): Promise<void> {
    const key = `${line.batchId}:${line.idx}`;
    this.held.set(key, line);
    // One signal per line, tied to shutdown and untied after: a Request keeps a listener on the
    // signal it is given, so handing every line the runner's own would add one per line, forever.
    const lineStop = new AbortController();
    const stop = () => lineStop.abort();
    this.stop.signal.addEventListener('abort', stop, { once: true });
    try {
      const out = await this.lines.run(line, lineStop.signal);
      if (out.kind === 'answered') {
        const written = await this.store.answer(line, out.answer);
        // Another replica answered it first (this one's lease ran out while it worked): one answer stands.
        if (!written) this.log.info({ batch: line.batchId, line: line.idx }, 'batch: line already answered elsewhere');
        this.wake();
      } else if (out.kind === 'pause') {
        this.log.info({ batch: line.batchId, tenant: line.tenant, ms: out.afterMs }, 'batch: daily token quota used up; batch paused');
        await this.store.pause(this.owner, line, out.afterMs);
      } else {
        await this.store.release(this.owner, line, out.afterMs, out.countsAsAttempt);
      }
    } catch (err) {
      // Shutting down, or the store is unreachable: the line goes back (or its lease runs out).
      if (!this.stop.signal.aborted) this.log.warn({ err: (err as Error).message, batch: line.batchId, line: line.idx }, 'batch: line not finished; it will run again');
      await this.store.release(this.owner, line, 1_000, false).catch(() => {});
    } finally {
      this.stop.signal.removeEventListener('abort', stop);
      this.held.delete(key);
    }
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
