import type { OriginDeps } from '../pipeline/deps.ts';
import type { BatchConfig } from './config.ts';
import { JsonlParser } from './jsonl/parse.ts';
import { createLineApp } from './runner/line-app.ts';
import { PipelineLineRunner } from './runner/run-line.ts';
import { BatchRunner } from './runner/runner.ts';
import type { BatchService } from './service.ts';
import { BatchStore } from './store/store.ts';

/** Uploads parsed at once; each holds its file in a worker's memory. */
const PARSERS = 2;
const PARSER_MEMORY_MB = 2_048;

/**
 * The optional batch stage: the store (migrated at start), the JSONL parser's worker threads and
 * this replica's runner. The routes (files-routes.ts, batches-routes.ts) and other front ends use
 * `store` for reads and writes and `runner.wake()` when they create work.
 */
export class BatchStage implements BatchService {
  private constructor(
    readonly cfg: BatchConfig,
    readonly store: BatchStore,
    readonly parser: JsonlParser,
    readonly runner: BatchRunner,
    readonly drainSignal: AbortSignal | undefined,
  ) {}

  static async start(deps: OriginDeps): Promise<BatchStage | undefined> {
    const cfg = deps.cfg.batch;
    if (!cfg.enabled) return undefined;
    const log = deps.log.child({ stage: 'batch' });
    const store = await BatchStore.open(cfg, log);
    const parser = new JsonlParser(PARSERS, PARSER_MEMORY_MB);
    const runner = new BatchRunner(store, new PipelineLineRunner(createLineApp(deps), cfg.maxAttempts), parser, cfg, log);
    runner.start();
    return new BatchStage(cfg, store, parser, runner, deps.drainSignal);
  }

  wake(): void {
    this.runner.wake();
  }

  async close(): Promise<void> {
    await this.runner.close();
    await this.store.close();
  }
}
