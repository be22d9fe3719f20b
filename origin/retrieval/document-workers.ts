import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ParsedJson } from '../../shared/json-body.ts';
import type { DocumentTask, FromWorker, TaskResults, ToWorker } from './document-tasks.ts';
import type { ChunkJob, ChunkOutcome } from './prepare.ts';
import { threadCpuMs } from './thread-cpu.ts';
import { workerEntry } from '../core/worker-entry.ts';

export interface DocumentWorkersOptions {
  /** Worker threads. */
  size: number;
  /** Tasks waiting for a worker; past it a task is refused at once. */
  maxQueue: number;
  /** Heap of each worker (V8's old generation). */
  memoryMb: number;
}

/** Why a document's work did not finish; a typed value the job turns into its error. */
export type DocumentWorkError =
  | { code: 'cpu_budget_exceeded'; limitMs: number }
  | { code: 'memory_budget_exceeded'; limitMb: number }
  | { code: 'workers_busy'; queue: number }
  | { code: 'extraction_failed'; error: string };

export type WorkOutcome<T> = { ok: true; value: T; cpuMs: number } | { ok: false; error: DocumentWorkError };

interface Task {
  id: number;
  task: DocumentTask;
  transfer: ArrayBuffer[];
  budgetMs: number;
  signal: AbortSignal;
  onAbort: () => void;
  settle: (o: WorkOutcome<unknown>) => void;
  reject: (err: unknown) => void;
  /** While running: the thread's CPU time (or the clock, without /proc) when it started. */
  startCpu?: number | undefined;
  startWall?: number;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  tid: number | undefined;
  ready: boolean;
  task: Task | undefined;
}

/**
 * The worker threads that extract, chunk and compare documents (document-worker.ts), with a
 * bounded queue and a budget per task: CPU time of the worker's own thread, checked every
 * `pollMs`, past which the worker is terminated (and replaced) and only that task fails; and a
 * heap limit, past which V8 stops the worker the same way. Tasks run first come, first served.
 */
export class DocumentWorkers {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly opts: DocumentWorkersOptions,
    private readonly log?: Logger,
  ) {}

  /** Parses an upload's JSON body (the parser of every route) within `budgetMs` of CPU. */
  parse(text: string, budgetMs: number, signal: AbortSignal): Promise<WorkOutcome<ParsedJson>> {
    return this.run({ kind: 'parse', text }, [], budgetMs, signal) as Promise<WorkOutcome<ParsedJson>>;
  }

  /** Extracts and chunks one document within `budgetMs` of CPU. */
  chunk(job: ChunkJob, budgetMs: number, signal: AbortSignal): Promise<WorkOutcome<ChunkOutcome>> {
    return this.run({ kind: 'chunk', job }, [], budgetMs, signal) as Promise<WorkOutcome<ChunkOutcome>>;
  }

  /** Indexes of the vectors (packed, `dims` each; the array is handed over) that repeat an earlier one. */
  nearDuplicates(vectors: Float32Array, dims: number, threshold: number, budgetMs: number, signal: AbortSignal): Promise<WorkOutcome<number[]>> {
    return this.run({ kind: 'dedup', vectors, dims, threshold }, [vectors.buffer as ArrayBuffer], budgetMs, signal) as Promise<WorkOutcome<number[]>>;
  }

  /** Workers started, busy, and tasks waiting (tests read it). */
  get stats(): { workers: number; busy: number; queued: number } {
    return { workers: this.slots.length, busy: this.slots.filter((s) => s.task).length, queued: this.queue.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    const reason = new Error('origin closing');
    for (const t of this.queue.splice(0)) this.drop(t, reason);
    await Promise.all(
      this.slots.splice(0).map((s) => {
        if (s.task) this.drop(s.task, reason);
        return s.worker.terminate();
      }),
    );
  }

  private run(task: DocumentTask, transfer: ArrayBuffer[], budgetMs: number, signal: AbortSignal): Promise<WorkOutcome<unknown>> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(new Error('origin closing'));
    if (this.queue.length >= this.opts.maxQueue) return Promise.resolve({ ok: false, error: { code: 'workers_busy', queue: this.opts.maxQueue } });
    return new Promise((settle, reject) => {
      const t: Task = { id: this.nextId++, task, transfer, budgetMs, signal, settle, reject, onAbort: () => this.abort(t) };
      signal.addEventListener('abort', t.onAbort, { once: true });
      this.queue.push(t);
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.ready && !slot.task) this.start(slot, this.queue.shift()!);
    }
    const starting = this.slots.filter((s) => !s.ready).length;
    for (let n = Math.min(this.queue.length - starting, this.opts.size - this.slots.length); n > 0; n--) this.spawn();
  }

  private start(slot: Slot, t: Task): void {
    slot.task = t;
    t.startWall = performance.now();
    t.startCpu = slot.tid === undefined ? undefined : threadCpuMs(slot.tid);
    slot.worker.postMessage({ id: t.id, task: t.task } satisfies ToWorker, t.transfer);
    // A tenth of the budget between checks: a task overruns it by at most about that much.
    const pollMs = Math.min(250, Math.max(10, Math.floor(t.budgetMs / 10)));
    t.timer = setInterval(() => {
      if (this.used(slot, t) > t.budgetMs) this.stop(slot, { code: 'cpu_budget_exceeded', limitMs: t.budgetMs });
    }, pollMs);
  }

  /** CPU time the task has used: its worker thread's, or the clock's where /proc is missing. */
  private used(slot: Slot, t: Task): number {
    if (slot.tid !== undefined && t.startCpu !== undefined) {
      const now = threadCpuMs(slot.tid);
      if (now !== undefined) return now - t.startCpu;
    }
    return performance.now() - t.startWall!;
  }

  private spawn(): void {
    const entry = workerEntry('document-worker', import.meta.url);
    const worker = new Worker(entry.file, { eval: entry.eval, resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb } });
    // Idle workers must not keep a closing process alive.
    worker.unref();
    const slot: Slot = { worker, tid: undefined, ready: false, task: undefined };
    this.slots.push(slot);
    worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    worker.on('error', (err) => this.onGone(slot, err));
    worker.on('exit', () => this.onGone(slot, undefined));
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') {
      slot.ready = true;
      slot.tid = m.tid;
      return this.dispatch();
    }
    const t = slot.task;
    if (!t || t.id !== m.id) return;
    const cpuMs = this.used(slot, t);
    this.release(slot, t);
    if (m.type === 'failed') {
      this.log?.warn({ event: 'document_task_failed', task: t.task.kind, error: m.error }, 'a document worker task threw; the document is reported failed');
      t.settle({ ok: false, error: { code: 'extraction_failed', error: m.error } });
    } else if (cpuMs > t.budgetMs) t.settle({ ok: false, error: { code: 'cpu_budget_exceeded', limitMs: t.budgetMs } });
    else t.settle({ ok: true, value: m.result, cpuMs });
    this.dispatch();
  }

  /** The worker died: out of heap, a crash, or terminated by stop(). Its task fails; a new worker takes the queue. */
  private onGone(slot: Slot, err: (Error & { code?: string }) | undefined): void {
    const i = this.slots.indexOf(slot);
    if (i === -1) return;
    this.slots.splice(i, 1);
    const t = slot.task;
    if (t) {
      this.release(slot, t);
      const oom = err?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.log?.warn({ event: 'document_worker_stopped', task: t.task.kind, reason: oom ? 'memory_budget_exceeded' : (err?.code ?? err?.name ?? 'exit') }, 'a document worker stopped; the document is reported failed');
      t.settle({ ok: false, error: oom ? { code: 'memory_budget_exceeded', limitMb: this.opts.memoryMb } : { code: 'extraction_failed', error: err?.name ?? 'exit' } });
    } else if (!slot.ready && err) {
      // A worker that cannot start (a broken install) would leave the queue waiting forever.
      this.log?.error({ event: 'document_worker_start_failed', error: err.message }, 'a document worker did not start');
      for (const q of this.queue.splice(0)) {
        this.release(undefined, q);
        q.settle({ ok: false, error: { code: 'extraction_failed', error: err.name } });
      }
    }
    this.dispatch();
  }

  /** Over budget: the worker is terminated mid-task (a replacement starts when work waits). */
  private stop(slot: Slot, error: DocumentWorkError): void {
    const t = slot.task;
    const i = this.slots.indexOf(slot);
    if (!t || i === -1) return;
    this.slots.splice(i, 1);
    this.release(slot, t);
    this.log?.warn({ event: 'document_worker_stopped', task: t.task.kind, reason: error.code }, 'a document worker went over its budget and was stopped; the document is reported failed');
    void slot.worker.terminate();
    t.settle({ ok: false, error });
    this.dispatch();
  }

  /** The caller gave up (shutdown): a queued task leaves the queue, a running one its worker. */
  private abort(t: Task): void {
    const q = this.queue.indexOf(t);
    if (q !== -1) {
      this.queue.splice(q, 1);
      return this.drop(t, t.signal.reason);
    }
    const slot = this.slots.find((s) => s.task === t);
    if (!slot) return;
    this.slots.splice(this.slots.indexOf(slot), 1);
    void slot.worker.terminate();
    this.drop(t, t.signal.reason);
    this.dispatch();
  }

  private drop(t: Task, reason: unknown): void {
    this.release(undefined, t);
    t.reject(reason);
  }

  private release(slot: Slot | undefined, t: Task): void {
    clearInterval(t.timer);
    t.signal.removeEventListener('abort', t.onAbort);
    if (slot?.task === t) slot.task = undefined;
  }
}
