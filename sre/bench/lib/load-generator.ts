/**
 * The load generator: several load-worker.ts processes, each with its own event loop and undici
 * Agent, whose results are merged. One Node process tops out near 10k chunks/s, below what a
 * lean relay can pass; with several, the generator's own CPU is measured so a run can say when it
 * (and not the path under test) was the limit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMs } from './proc-stat.ts';
import type { ErrorCounts, HoldReport, SignAs, StepReport, WorkerCommand } from './load-protocol.ts';

const workerEntry = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface StreamsRequest {
  base: string;
  /** Stream i asks for models[i % models.length]. */
  models: string[];
  tokens: number;
  /** Streams in all, spread evenly over the workers. */
  n: number;
  deadlineMs: number;
  sign?: SignAs;
  /** Streams waiting for response headers at once, per worker (default 128): the ramp. */
  opening?: number;
}

export interface StepResult {
  ttft: number[];
  gaps: number[];
  events: number;
  errors: ErrorCounts;
  wallMs: number;
  /** CPU the busiest worker used over the step, as a share of one core (1 = saturated). */
  busiestWorkerCore: number;
}

export interface HoldResult {
  opened: number;
  errors: ErrorCounts;
  done: number;
}

export function mergeErrors(into: ErrorCounts, from: ErrorCounts): ErrorCounts {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

export const errorTotal = (e: ErrorCounts): number => Object.values(e).reduce((a, b) => a + b, 0);

export class LoadGenerator {
  private constructor(private readonly workers: ChildProcess[]) {}

  static async start(count: number): Promise<LoadGenerator> {
    const workers = await Promise.all(
      Array.from({ length: count }, async () => {
        const w = fork(workerEntry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        await new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('exit', (code) => reject(new Error(`load worker exited with ${code} before it was ready`)));
        });
        return w;
      }),
    );
    return new LoadGenerator(workers);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid!);
  }

  private split(req: StreamsRequest): Array<{ n: number; offset: number }> {
    const k = this.workers.length;
    let offset = 0;
    return this.workers.map((_, i) => {
      const n = Math.floor(req.n / k) + (i < req.n % k ? 1 : 0);
      const part = { n, offset };
      offset += n;
      return part;
    });
  }

  private ask<T>(w: ChildProcess, cmd: WorkerCommand, op: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onMsg = (m: { op: string }) => {
        if (m.op !== op) return;
        w.off('message', onMsg);
        w.off('exit', onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null) => reject(new Error(`load worker ${w.pid} exited with ${code} during '${cmd.op}'`));
      w.on('message', onMsg);
      w.once('exit', onExit);
      w.send(cmd);
    });
  }

  /** Streams run to their end; figures merged over every worker. */
  async run(req: StreamsRequest): Promise<StepResult> {
    const parts = this.split(req);
    const cpu0 = this.workers.map((w) => cpuMs(w.pid!));
    const t0 = performance.now();
    const reports = await Promise.all(
      this.workers.map((w, i) => (parts[i]!.n === 0 ? Promise.resolve<StepReport>({ op: 'done', ttft: [], gaps: [], events: 0, errors: {} }) : this.ask<StepReport>(w, { op: 'run', opening: 128, ...req, ...parts[i]! }, 'done'))),
    );
    const wallMs = performance.now() - t0;
    const busiest = Math.max(...this.workers.map((w, i) => cpuMs(w.pid!) - cpu0[i]!));
    const out: StepResult = { ttft: [], gaps: [], events: 0, errors: {}, wallMs, busiestWorkerCore: busiest / wallMs };
    for (const r of reports) {
      for (const v of r.ttft) out.ttft.push(v);
      for (const v of r.gaps) out.gaps.push(v);
      out.events += r.events;
      mergeErrors(out.errors, r.errors);
    }
    return out;
  }

  /**
   * Opens the streams and resolves once every one has its first bytes (or failed); `release`
   * then cancels them all and resolves with the final count.
   */
  async hold(req: StreamsRequest): Promise<{ open: HoldResult; release(): Promise<HoldResult> }> {
    const parts = this.split(req);
    const busy = this.workers.filter((_, i) => parts[i]!.n > 0);
    const released = busy.map((w) => {
      let resolveRelease!: (r: HoldReport) => void;
      const p = new Promise<HoldReport>((r) => (resolveRelease = r));
      const onMsg = (m: HoldReport) => {
        if (m.op !== 'released') return;
        w.off('message', onMsg);
        resolveRelease(m);
      };
      w.on('message', onMsg);
      return p;
    });
    const opened = await Promise.all(busy.map((w) => this.ask<HoldReport>(w, { op: 'hold', opening: 128, ...req, ...parts[this.workers.indexOf(w)]! }, 'open')));
    const merge = (rs: HoldReport[]): HoldResult => ({
      opened: rs.reduce((a, r) => a + r.opened, 0),
      errors: rs.reduce((a, r) => mergeErrors(a, r.errors), {} as ErrorCounts),
      done: rs.reduce((a, r) => a + (r.done ?? 0), 0),
    });
    return {
      open: merge(opened),
      release: async () => {
        for (const w of busy) w.send({ op: 'release' } satisfies WorkerCommand);
        return merge(await Promise.all(released));
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            const t = setTimeout(() => w.kill('SIGKILL'), 5_000);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            w.send({ op: 'exit' } satisfies WorkerCommand);
          }),
      ),
    );
  }
}
