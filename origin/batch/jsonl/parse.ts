import { Worker } from 'node:worker_threads';
import { errors } from '../../../shared/errors.ts';
import { workerEntry } from '../../core/worker-entry.ts';
import type { JsonlResult, JsonlTask } from './tasks.ts';

/**
 * Runs JSONL tasks in worker threads, at most `max` at once (each holds a file in memory), one
 * fresh worker per task so a huge file's heap is returned to the OS when it is done.
 */
export class JsonlParser {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly memoryMb: number,
  ) {}

  async run(task: JsonlTask): Promise<JsonlResult> {
    if (this.running >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await this.once(task);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private once(task: JsonlTask): Promise<JsonlResult> {
    const entry = workerEntry('jsonl-worker', import.meta.url);
    const worker = new Worker(entry.file, { eval: entry.eval, resourceLimits: { maxOldGenerationSizeMb: this.memoryMb } });
    return new Promise<JsonlResult>((resolve, reject) => {
      worker.once('message', (r: JsonlResult) => resolve(r));
      worker.once('error', (e) => reject(errors.badRequest(`the file could not be processed within the parser's memory (${this.memoryMb} MB): ${e.message}`, 'file', 'file_too_large')));
      worker.once('exit', (code) => reject(new Error(`the JSONL worker exited with code ${code}`)));
      const buf = task.kind === 'lines' ? task.content : task.body;
      worker.postMessage(task, [buf]);
    }).finally(() => void worker.terminate());
  }
}
