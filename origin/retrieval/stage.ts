import type { PriorityClass } from '../core/admission.ts';
import type { Registry } from 'prom-client';
import type { Observers } from '../core/record.ts';
import type { UpstreamOpening } from '../pipeline/open-upstream.ts';
import type { RequestRecord } from '../core/record.ts';
import type { TenantContext } from '../core/env.ts';
import { settingsFor, type RetrievalConfig, type RetrievalSettings } from './config.ts';
import { DocumentWorkers } from './document-workers.ts';
import { Embedder } from './embedder.ts';
import { runIngest, type UploadDocument } from './ingest.ts';
import { JobRegistry, type IngestJob } from './jobs.ts';
import { createRetrievalMetrics, RetrievalObserver, type RetrievalMetrics } from './metrics.ts';
import { retrieve, type RetrievalOutcome } from './retrieve.ts';
import { RetrievalStore } from './store/store.ts';

/** What the stage needs: its config, the way to the embedding model, the record's observers, the shutdown. */
export interface RetrievalDeps extends UpstreamOpening {
  cfg: { retrieval: RetrievalConfig };
  observers: Observers;
  shutdownSignal: AbortSignal;
  /** Where its metrics register, when metrics are on. */
  telemetry?: { metrics: { registry: Registry } } | undefined;
  /** The aliases (a RAG alias names its collection); without it no model retrieves. */
  router?: (UpstreamOpening['router'] & { persona(name: string): { retrieval?: Parameters<typeof settingsFor>[1] | undefined } | undefined }) | undefined;
}

/**
 * The optional retrieval stage: the store (migrated at start), the embedder on the admission
 * gate, the ingestion jobs of this replica, and the retrieval a RAG alias runs before its answer.
 */
export class RetrievalStage {
  readonly jobs: JobRegistry;
  readonly embedder: Embedder;
  readonly metrics: RetrievalMetrics | undefined;
  readonly workers: DocumentWorkers;
  private readonly stopJobs = new AbortController();

  private constructor(
    private readonly deps: RetrievalDeps,
    readonly cfg: RetrievalConfig,
    readonly store: RetrievalStore,
  ) {
    this.jobs = new JobRegistry(cfg.ingest.keepJobs);
    this.embedder = new Embedder(deps, cfg.embedModel);
    this.workers = new DocumentWorkers({ size: cfg.ingest.workers, maxQueue: cfg.ingest.workerQueue, memoryMb: cfg.ingest.workerMemoryMb }, deps.log);
    this.metrics = deps.telemetry ? createRetrievalMetrics(deps.telemetry.metrics.registry) : undefined;
    if (this.metrics) deps.observers.add(new RetrievalObserver(this.metrics));
  }

  /** Opens the store and runs its migrations; undefined when the stage is off. */
  static async start(deps: RetrievalDeps): Promise<RetrievalStage | undefined> {
    const cfg = deps.cfg.retrieval;
    if (!cfg.enabled) return undefined;
    return new RetrievalStage(deps, cfg, await RetrievalStore.open(cfg, deps.log));
  }

  /** The retrieval settings of an alias, or undefined when it is a plain persona (or no alias). */
  settingsFor(model: string): RetrievalSettings | undefined {
    const persona = this.deps.router?.persona(model);
    return persona?.retrieval ? settingsFor(this.cfg, persona.retrieval) : undefined;
  }

  /** Retrieval for one chat request; its summary (ids, scores, timings) goes on the record. */
  async retrieveFor(rec: RequestRecord, alias: string, s: RetrievalSettings, question: string, priority: PriorityClass, signal: AbortSignal): Promise<RetrievalOutcome> {
    const out = await retrieve(this.store, this.embedder, s, { tenant: rec.tenant, question, priority, signal, alias });
    rec.retrieval = {
      collection: out.collection,
      candidates: out.candidates,
      citations: out.citations,
      tokensUsed: out.tokensUsed,
      tokensSaved: out.saved,
      retrievalMs: out.ms.retrieval,
      searchMs: out.ms.search,
      promptBuildMs: out.ms.promptBuild,
    };
    return out;
  }

  /** Starts an upload in the background; its progress is on the job. */
  ingest(tenant: TenantContext, collection: string, docs: readonly UploadDocument[]): IngestJob {
    const job = this.jobs.create(tenant.id, collection, docs.length);
    this.metrics?.jobsRunning.inc();
    const signal = AbortSignal.any([this.stopJobs.signal, this.deps.shutdownSignal]);
    void runIngest({ cfg: this.cfg, store: this.store, embedder: this.embedder, workers: this.workers, metrics: this.metrics, tenant, collection, signal }, job, docs).finally(() => this.metrics?.jobsRunning.dec());
    return job;
  }

  async close(): Promise<void> {
    this.stopJobs.abort(new Error('origin closing'));
    await this.workers.close();
    await this.store.close();
  }
}
