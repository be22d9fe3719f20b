import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

export type JobState = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed';

export interface JobStatus {
  id: string;
  collection: string;
  state: JobState;
  documents: { total: number; done: number; failed: number };
  chunks: { stored: number; duplicatesDropped: number };
  /** Per failed document: its id and why (codes of this API, never document text). */
  errors: Array<{ document: string; code: string; message: string }>;
  createdAt: string;
  finishedAt: string | null;
}

/** One upload's progress; emits `progress` on every change and `end` once. */
export class IngestJob extends EventEmitter {
  readonly status: JobStatus;

  constructor(
    readonly tenant: string,
    collection: string,
    total: number,
  ) {
    super();
    this.setMaxListeners(0);
    this.status = {
      id: `job_${randomUUID()}`,
      collection,
      state: 'queued',
      documents: { total, done: 0, failed: 0 },
      chunks: { stored: 0, duplicatesDropped: 0 },
      errors: [],
      createdAt: new Date().toISOString(),
      finishedAt: null,
    };
  }

  get finished(): boolean {
    return this.status.finishedAt !== null;
  }

  running(): void {
    this.status.state = 'running';
    this.emit('progress', this.status);
  }

  documentStored(stored: number, duplicatesDropped: number): void {
    this.status.documents.done++;
    this.status.chunks.stored += stored;
    this.status.chunks.duplicatesDropped += duplicatesDropped;
    this.emit('progress', this.status);
  }

  documentFailed(document: string, code: string, message: string): void {
    this.status.documents.failed++;
    this.status.errors.push({ document, code, message });
    this.emit('progress', this.status);
  }

  finish(): void {
    const d = this.status.documents;
    this.status.state = d.failed === 0 ? 'succeeded' : d.done === 0 ? 'failed' : 'partial';
    this.status.finishedAt = new Date().toISOString();
    this.emit('end', this.status);
  }
}

/** Jobs of this replica, by id; the oldest finished ones are forgotten past `keep`. */
export class JobRegistry {
  private readonly jobs = new Map<string, IngestJob>();

  constructor(private readonly keep: number) {}

  create(tenant: string, collection: string, total: number): IngestJob {
    const job = new IngestJob(tenant, collection, total);
    this.jobs.set(job.status.id, job);
    this.prune();
    return job;
  }

  /** A job only for the tenant that started it. */
  get(tenant: string, id: string): IngestJob | undefined {
    const j = this.jobs.get(id);
    return j && j.tenant === tenant ? j : undefined;
  }

  /** Every job this replica remembers, newest first (the operator console lists them). */
  all(): IngestJob[] {
    return [...this.jobs.values()].reverse();
  }

  running(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (!j.finished) n++;
    return n;
  }

  private prune(): void {
    let excess = this.jobs.size - this.keep;
    for (const [id, j] of this.jobs) {
      if (excess <= 0) break;
      if (j.finished) {
        this.jobs.delete(id);
        excess--;
      }
    }
  }
}
