import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Logger } from 'pino';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../retrieval/store/embedded.ts';
import { applyMigrations } from '../../retrieval/store/migrate.ts';
import type { BatchConfig } from '../config.ts';
import { next, STAMP, type BatchEvent, type BatchStatus } from '../lifecycle.ts';
import { outputLine } from '../output-lines.ts';
import type { BatchError, BatchObject, ClaimedLine, FileObject, InputLine, LineAnswer, NewBatch, NewFile, Page, RequestCounts } from '../types.ts';
import { BATCH_MIGRATIONS } from './migrations.ts';
import { batchObject, fileObject, type BatchRow, type FileRow } from './objects.ts';

type Sql = postgres.Sql;

/** Advisory lock key held while migrating ("btch"). */
const MIGRATION_LOCK = 0x62746368;
/** Rows per INSERT when a batch's lines are stored. */
const INSERT_ROWS = 500;

/** Lines read per page of an output or error file. */
const RESULT_PAGE = 500;

export type ResultKind = 'output' | 'error';

const EXPIRED = { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' };

export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** A batch phase (validation, finalization) this replica holds under a lease. */
export interface PhaseWork {
  id: string;
  tenant: string;
  status: BatchStatus;
  endpoint: string;
  inputFileId: string;
  /** completion_window passed with the batch still running. */
  expired: boolean;
}

/**
 * Files, batches and lines in Postgres through the `postgres` driver, whether the database is the
 * operator's own (batch.databaseUrl) or the embedded PGlite. Every read and write of a file or
 * batch names its tenant: another tenant's id is simply not found.
 *
 * Lines are claimed with leases (`FOR UPDATE SKIP LOCKED`, then `lease_until`), renewed while they
 * run; a line is answered by a conditional UPDATE (`state <> 'done'`), so however many replicas
 * ran it (a lease that ran out while its replica was stalled), exactly one answer is kept.
 */
export class BatchStore {
  private constructor(
    readonly sql: Sql,
    private readonly embedded: EmbeddedPostgres | undefined,
    private readonly retentionDays: number,
    readonly kind: 'postgres' | 'embedded',
  ) {}

  static async open(cfg: BatchConfig, log: Logger): Promise<BatchStore> {
    const embedded = cfg.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: cfg.embedded.dataDir, maxConnections: 2 });
    const url = cfg.databaseUrl ?? embedded!.url;
    // The embedded PGlite is one Postgres session behind its socket: one connection (see the
    // retrieval store); the driver queues statements on it and a transaction holds it.
    const sql = postgres(url, { max: embedded ? 1 : cfg.poolSize, onnotice: () => {}, idle_timeout: 60, connect_timeout: 10 });
    const store = new BatchStore(sql, embedded, cfg.retentionDays, embedded ? 'embedded' : 'postgres');
    try {
      const applied = await store.migrate();
      log.info({ store: store.kind, migrationsApplied: applied }, 'batch store ready');
    } catch (err) {
      await store.close();
      const where = embedded ? 'the embedded database' : `the database at BATCH_DATABASE_URL (${new URL(url).host})`;
      throw new Error(`batch store: cannot prepare ${where}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  migrate(): Promise<number> {
    return applyMigrations(this.sql, MIGRATION_LOCK, 'batch_schema_migrations', BATCH_MIGRATIONS);
  }

  /**
   * A read or write in its own transaction (some are several statements that belong together, as
   * deleting a batch and its files). A PGlite shared over its socket keeps each connection's
   * exchanges whole with or without one (retrieval/store/pglite-exchanges.mjs).
   */
  q<T>(fn: (sql: postgres.TransactionSql) => Promise<T>): Promise<T> {
    return this.sql.begin(fn) as Promise<T>;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
    await this.embedded?.close();
  }

  // ---- files -------------------------------------------------------------------------------

  async createFile(f: NewFile): Promise<FileObject> {
    const id = newId('file');
    const [row] = await this.q((sql) => sql<FileRow[]>`
      INSERT INTO batch_files (id, tenant_id, filename, purpose, bytes, line_count, content, expires_at)
      VALUES (${id}, ${f.tenant}, ${f.filename}, ${f.purpose}, ${f.content.byteLength}, ${f.lineCount}, ${Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength)},
              now() + ${this.retentionDays} * interval '1 day')
      RETURNING id, tenant_id, filename, purpose, bytes, created_at, expires_at`);
    return fileObject(row!);
  }

  async file(tenant: string, id: string): Promise<FileObject | undefined> {
    const [row] = await this.q((sql) => sql<FileRow[]>`SELECT id, tenant_id, filename, purpose, bytes, created_at, expires_at FROM batch_files WHERE tenant_id = ${tenant} AND id = ${id}`);
    return row ? fileObject(row) : undefined;
  }

  /** A file's bytes: an upload's as stored, an output or error file's read from its batch's lines as it is sent. */
  async fileContent(tenant: string, id: string): Promise<Uint8Array | AsyncIterable<string> | undefined> {
    const [row] = await this.q((sql) => sql<{ content: Uint8Array | null; batch_id: string | null; kind: ResultKind | null }[]>`SELECT content, batch_id, kind FROM batch_files WHERE tenant_id = ${tenant} AND id = ${id}`);
    if (!row) return undefined;
    if (row.content) return row.content;
    return this.resultPages(row.batch_id!, row.kind!);
  }

  async listFiles(tenant: string, q: { after?: string | undefined; limit: number; purpose?: string | undefined }): Promise<Page<FileObject>> {
    const rows = await this.q((sql) => sql<FileRow[]>`
      SELECT id, tenant_id, filename, purpose, bytes, created_at, expires_at FROM batch_files
      WHERE tenant_id = ${tenant}
        ${q.purpose ? sql`AND purpose = ${q.purpose}` : sql``}
        ${q.after ? sql`AND (created_at, id) < (SELECT created_at, id FROM batch_files WHERE tenant_id = ${tenant} AND id = ${q.after})` : sql``}
      ORDER BY created_at DESC, id DESC LIMIT ${q.limit + 1}`);
    return page(rows.map(fileObject), q.limit);
  }

  async deleteFile(tenant: string, id: string): Promise<boolean> {
    const gone = await this.q((sql) => sql`DELETE FROM batch_files WHERE tenant_id = ${tenant} AND id = ${id} RETURNING id`);
    return gone.length > 0;
  }

  /** The stored lines of an input file, for validation at batch creation. */
  async inputContent(tenant: string, id: string): Promise<{ purpose: string; content: Uint8Array } | undefined> {
    const [row] = await this.q((sql) => sql<{ purpose: string; content: Uint8Array | null }[]>`SELECT purpose, content FROM batch_files WHERE tenant_id = ${tenant} AND id = ${id}`);
    return row?.content ? { purpose: row.purpose, content: row.content } : undefined;
  }

  // ---- batches -----------------------------------------------------------------------------

  async createBatch(b: NewBatch): Promise<BatchObject> {
    const id = newId('batch');
    const [row] = await this.q((sql) => sql<BatchRow[]>`
      INSERT INTO batches (id, tenant_id, endpoint, input_file_id, completion_window, metadata, status, models, country, pop, via, expires_at)
      VALUES (${id}, ${b.tenant}, ${b.endpoint}, ${b.inputFileId}, ${b.completionWindow}, ${b.metadata === null ? null : sql.json(b.metadata)}, 'validating',
              ${sql.json([...b.models])}, ${b.country ?? null}, ${b.pop ?? null}, ${b.via ?? 'edge'}, now() + interval '24 hours')
      RETURNING *`);
    return batchObject(row!, { total: 0, completed: 0, failed: 0 });
  }

  async batch(tenant: string, id: string): Promise<BatchObject | undefined> {
    const [row] = await this.q((sql) => sql<BatchRow[]>`SELECT * FROM batches WHERE tenant_id = ${tenant} AND id = ${id}`);
    return row ? batchObject(row, await this.counts(row)) : undefined;
  }

  /** The tenant's batches, newest first; `endpoints`: only batches of these (OpenAI's listing shows no Message Batches). */
  async listBatches(tenant: string, q: { after?: string | undefined; limit: number; endpoints?: readonly string[] }): Promise<Page<BatchObject>> {
    const rows = await this.q((sql) => sql<BatchRow[]>`
      SELECT * FROM batches WHERE tenant_id = ${tenant}
        ${q.endpoints ? sql`AND endpoint = ANY(${[...q.endpoints]}::text[])` : sql``}
        ${q.after ? sql`AND (created_at, id) < (SELECT created_at, id FROM batches WHERE tenant_id = ${tenant} AND id = ${q.after})` : sql``}
      ORDER BY created_at DESC, id DESC LIMIT ${q.limit + 1}`);
    const data = await Promise.all(rows.map(async (r) => batchObject(r, await this.counts(r))));
    return page(data, q.limit);
  }

  /** Cancels a batch of this tenant; undefined when it has none by that id. */
  async cancel(tenant: string, id: string): Promise<BatchObject | undefined> {
    await this.sql.begin(async (tx) => {
      const [row] = await tx<{ status: BatchStatus }[]>`SELECT status FROM batches WHERE tenant_id = ${tenant} AND id = ${id} FOR UPDATE`;
      if (row) await this.transition(tx, id, row.status, 'cancel');
    });
    return this.batch(tenant, id);
  }

  private async counts(r: BatchRow): Promise<RequestCounts> {
    const [c] = await this.q((sql) => sql<{ completed: string; failed: string }[]>`
      SELECT count(*) FILTER (WHERE state = 'done' AND status_code BETWEEN 200 AND 299) AS completed,
             count(*) FILTER (WHERE state = 'done' AND (status_code IS NULL OR status_code NOT BETWEEN 200 AND 299)) AS failed
      FROM batch_lines WHERE batch_id = ${r.id}`);
    return { total: r.total, completed: Number(c?.completed ?? 0), failed: Number(c?.failed ?? 0) };
  }

  /** Applies one lifecycle event where it applies; false when the batch was elsewhere. */
  private async transition(tx: postgres.TransactionSql, id: string, from: BatchStatus, ev: BatchEvent, extra?: { errors?: BatchError[]; outputFileId?: string | null; errorFileId?: string | null }): Promise<boolean> {
    const to = next(from, ev);
    if (!to) return false;
    const stamp = STAMP[to];
    const done = await tx`
      UPDATE batches SET status = ${to}
        ${stamp ? tx`, ${tx(stamp)} = now()` : tx``}
        ${extra?.errors ? tx`, errors = ${tx.json(extra.errors as unknown as postgres.JSONValue)}` : tx``}
        ${extra && 'outputFileId' in extra ? tx`, output_file_id = ${extra.outputFileId ?? null}` : tx``}
        ${extra && 'errorFileId' in extra ? tx`, error_file_id = ${extra.errorFileId ?? null}` : tx``}
        , phase_owner = NULL, phase_until = NULL
      WHERE id = ${id} AND status = ${from} RETURNING id`;
    return done.length > 0;
  }

  // ---- phases: validation and finalization, one replica at a time under a lease ----------

  /**
   * Takes the next batch that needs a phase run by someone (validating, drained in_progress,
   * finalizing, cancelling with nothing running, past its window) and is not leased by a live replica.
   */
  async claimPhase(owner: string, leaseMs: number): Promise<PhaseWork | undefined> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<{ id: string; tenant_id: string; status: BatchStatus; endpoint: string; input_file_id: string; expired: boolean }[]>`
        SELECT b.id, b.tenant_id, b.status, b.endpoint, b.input_file_id, (b.expires_at <= now()) AS expired FROM batches b
        WHERE b.status IN ('validating', 'in_progress', 'finalizing', 'cancelling')
          AND (b.phase_until IS NULL OR b.phase_until < now())
          AND (b.status IN ('validating', 'finalizing') OR b.expires_at <= now()
               OR NOT EXISTS (SELECT 1 FROM batch_lines l WHERE l.batch_id = b.id AND l.state <> 'done'
                              AND (b.status = 'in_progress' OR (l.state = 'leased' AND l.lease_until >= now()))))
        ORDER BY b.created_at LIMIT 1 FOR UPDATE SKIP LOCKED`;
      if (!row) return undefined;
      await tx`UPDATE batches SET phase_owner = ${owner}, phase_until = now() + ${leaseMs} * interval '1 millisecond' WHERE id = ${row.id}`;
      return { id: row.id, tenant: row.tenant_id, status: row.status, endpoint: row.endpoint, inputFileId: row.input_file_id, expired: row.expired };
    });
  }

  /** Stores a validated batch's lines and starts it, in one transaction (a retry after a crash starts over). */
  async startBatch(id: string, owner: string, lines: readonly InputLine[]): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const [b] = await tx<{ tenant_id: string; status: BatchStatus; phase_owner: string | null }[]>`SELECT tenant_id, status, phase_owner FROM batches WHERE id = ${id} FOR UPDATE`;
      if (!b || b.status !== 'validating' || b.phase_owner !== owner) return false;
      await tx`DELETE FROM batch_lines WHERE batch_id = ${id}`;
      for (let i = 0; i < lines.length; i += INSERT_ROWS) {
        const rows = lines.slice(i, i + INSERT_ROWS).map((l, k) => ({ batch_id: id, idx: i + k, custom_id: l.custom_id, tenant_id: b.tenant_id, body: l.body }));
        await tx`INSERT INTO batch_lines ${tx(rows, 'batch_id', 'idx', 'custom_id', 'tenant_id', 'body')}`;
      }
      await tx`UPDATE batches SET total = ${lines.length} WHERE id = ${id}`;
      return this.transition(tx, id, 'validating', 'validated');
    });
  }

  async failValidation(id: string, owner: string, errs: BatchError[]): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const [b] = await tx<{ phase_owner: string | null }[]>`SELECT phase_owner FROM batches WHERE id = ${id} AND status = 'validating' FOR UPDATE`;
      if (!b || b.phase_owner !== owner) return false;
      return this.transition(tx, id, 'validating', 'invalid', { errors: errs });
    });
  }

  /**
   * Ends a batch whose lines are all answered (completed), whose window passed (expired: lines
   * left unanswered go to the error file as `batch_expired`) or that was cancelled (cancelled:
   * lines never run are left out). The output files and the final status in one transaction.
   */
  async finish(id: string, owner: string, expired: boolean): Promise<BatchStatus | undefined> {
    const [b] = await this.q((sql) => sql<{ status: BatchStatus; tenant_id: string; phase_owner: string | null }[]>`SELECT status, tenant_id, phase_owner FROM batches WHERE id = ${id}`);
    if (!b || b.phase_owner !== owner) return undefined;
    let from = b.status;
    if (from === 'in_progress' && !expired) {
      await this.sql.begin((tx) => this.transition(tx, id, 'in_progress', 'drained'));
      await this.q((sql) => sql`UPDATE batches SET phase_owner = ${owner}, phase_until = now() + interval '1 minute' WHERE id = ${id} AND status = 'finalizing'`);
      from = 'finalizing';
    }
    const ev: BatchEvent = from === 'finalizing' ? 'written' : from === 'cancelling' ? 'cancel_drained' : 'window_passed';
    // Past the window, every line not answered is answered now, as expired (a late answer finds it done).
    if (ev === 'window_passed') await this.q((sql) => sql`UPDATE batch_lines SET state = 'done', error = ${sql.json(EXPIRED)}, finished_at = now(), lease_owner = NULL, lease_until = NULL WHERE batch_id = ${id} AND state <> 'done'`);
    // The files' sizes, read a page at a time (their text is only ever built a page at a time).
    const size = { output: 0, error: 0 };
    for (const kind of ['output', 'error'] as const) for await (const page of this.resultPages(id, kind)) size[kind] += Buffer.byteLength(page);
    return this.sql.begin(async (tx) => {
      const [now] = await tx<{ status: BatchStatus }[]>`SELECT status FROM batches WHERE id = ${id} FOR UPDATE`;
      if (!now || now.status !== from) return now?.status;
      const file = async (kind: ResultKind) => {
        if (size[kind] === 0) return null;
        const fid = newId('file');
        await tx`INSERT INTO batch_files (id, tenant_id, filename, purpose, bytes, batch_id, kind, expires_at)
                 VALUES (${fid}, ${b.tenant_id}, ${`${id}_${kind}.jsonl`}, 'batch_output', ${size[kind]}, ${id}, ${kind}, now() + ${this.retentionDays} * interval '1 day')`;
        return fid;
      };
      const outputFileId = await file('output');
      const errorFileId = await file('error');
      await this.transition(tx, id, from, ev, { outputFileId, errorFileId });
      return next(from, ev);
    });
  }

  /** An output or error file's text, a page of lines at a time, each page its own short read. */
  async *resultPages(batchId: string, kind: ResultKind): AsyncGenerator<string> {
    let after = -1;
    for (;;) {
      const rows = await this.q((sql) => sql<{ idx: number; custom_id: string; status_code: number | null; request_id: string | null; response: string | null; error: { code: string; message: string } | null }[]>`
        SELECT idx, custom_id, status_code, request_id, response, error FROM batch_lines
        WHERE batch_id = ${batchId} AND state = 'done' AND idx > ${after}
          AND ${kind === 'output' ? sql`status_code BETWEEN 200 AND 299` : sql`(status_code IS NULL OR status_code NOT BETWEEN 200 AND 299)`}
        ORDER BY idx LIMIT ${RESULT_PAGE}`);
      if (rows.length === 0) return;
      let text = '';
      for (const l of rows) text += outputLine(batchId, { idx: l.idx, customId: l.custom_id, statusCode: l.status_code, requestId: l.request_id, response: l.response, error: l.error });
      yield text;
      after = rows.at(-1)!.idx;
    }
  }

  // ---- lines -------------------------------------------------------------------------------

  /**
   * Claims up to `n` runnable lines for `owner` in one transaction, fair across tenants: the
   * tenant with the fewest lines running now (across every replica) goes first, then its batch
   * with the fewest, then the oldest; each candidate batch gets an even share of the `n` first,
   * and what is left of `n` goes to the first ones again.
   */
  async claimLines(owner: string, leaseMs: number, n: number): Promise<ClaimedLine[]> {
    if (n <= 0) return [];
    return this.sql.begin(async (tx) => {
      const candidates = await tx<{ id: string; tenant_id: string; endpoint: string; models: string[]; country: string | null; pop: string | null; via: ClaimedLine['via'] }[]>`
        WITH live AS (
          SELECT b.id, b.tenant_id, b.created_at, b.endpoint, b.models, b.country, b.pop, b.via,
            (SELECT count(*) FROM batch_lines l WHERE l.batch_id = b.id AND l.state = 'leased' AND l.lease_until >= now()) AS running
          FROM batches b
          WHERE b.status = 'in_progress' AND b.expires_at > now() AND (b.paused_until IS NULL OR b.paused_until <= now())
            AND EXISTS (SELECT 1 FROM batch_lines l WHERE l.batch_id = b.id AND l.state <> 'done'
                        AND (l.state = 'pending' OR l.lease_until < now()) AND (l.not_before IS NULL OR l.not_before <= now())))
        SELECT id, tenant_id, endpoint, models, country, pop, via FROM live
        ORDER BY sum(running) OVER (PARTITION BY tenant_id), running, created_at LIMIT 8`;
      const out: ClaimedLine[] = [];
      const share = Math.max(1, Math.ceil(n / Math.max(1, candidates.length)));
      for (const round of [share, n]) {
        for (const c of candidates) {
          const want = Math.min(round, n - out.length);
          if (want <= 0) break;
          const rows = await tx<{ idx: number; custom_id: string; body: string; attempts: number }[]>`
            WITH picked AS MATERIALIZED (
              SELECT idx FROM batch_lines WHERE batch_id = ${c.id} AND state <> 'done' AND (state = 'pending' OR lease_until < now())
                AND (not_before IS NULL OR not_before <= now())
              ORDER BY idx LIMIT ${want} FOR UPDATE SKIP LOCKED)
            UPDATE batch_lines l SET state = 'leased', lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond', attempts = l.attempts + 1
            FROM picked WHERE l.batch_id = ${c.id} AND l.idx = picked.idx
            RETURNING l.idx, l.custom_id, l.body, l.attempts`;
          // (A materialized pick: an IN (… LIMIT n) subquery may run again per row and take more than n.)
          for (const l of rows) out.push({ batchId: c.id, idx: l.idx, customId: l.custom_id, tenant: c.tenant_id, endpoint: c.endpoint, body: l.body, attempts: l.attempts, models: c.models, country: c.country, pop: c.pop, via: c.via } as ClaimedLine);
        }
        if (out.length >= n) break;
      }
      return out;
    });
  }

  /** One runnable line for `owner` (claimLines of one). */
  async claimLine(owner: string, leaseMs: number): Promise<ClaimedLine | undefined> {
    return (await this.claimLines(owner, leaseMs, 1))[0];
  }

  /** Extends the leases of the lines `owner` is running; returns how many it still holds. */
  async renew(owner: string, lines: ReadonlyArray<{ batchId: string; idx: number }>, leaseMs: number): Promise<number> {
    if (lines.length === 0) return 0;
    const r = await this.q((sql) => sql`
      UPDATE batch_lines SET lease_until = now() + ${leaseMs} * interval '1 millisecond'
      WHERE lease_owner = ${owner} AND state = 'leased'
        AND (batch_id, idx) IN (SELECT * FROM unnest(${lines.map((l) => l.batchId)}::text[], ${lines.map((l) => l.idx)}::int[]))
      RETURNING idx`);
    return r.length;
  }

  /** Records a line's answer unless it already has one: true when this call wrote it. */
  async answer(line: ClaimedLine, a: LineAnswer): Promise<boolean> {
    return (await this.answerMany([{ line, answer: a }]))[0]!;
  }

  /**
   * Records several lines' answers in one statement, each only where its line has none yet
   * (`state <> 'done'`): one answer per line stands however many replicas ran it. Per entry,
   * whether this call wrote it.
   */
  async answerMany(done: ReadonlyArray<{ line: ClaimedLine; answer: LineAnswer }>): Promise<boolean[]> {
    if (done.length === 0) return [];
    const r = await this.q((sql) => sql<{ batch_id: string; idx: number }[]>`
      UPDATE batch_lines l SET state = 'done', status_code = a.status_code, request_id = a.request_id, response = a.response, finished_at = now(), lease_owner = NULL, lease_until = NULL
      FROM unnest(${done.map((d) => d.line.batchId)}::text[], ${done.map((d) => d.line.idx)}::int[], ${done.map((d) => d.answer.statusCode)}::int[],
                  ${done.map((d) => d.answer.requestId)}::text[], ${done.map((d) => d.answer.body)}::text[]) AS a(batch_id, idx, status_code, request_id, response)
      WHERE l.batch_id = a.batch_id AND l.idx = a.idx AND l.state <> 'done'
      RETURNING l.batch_id, l.idx`);
    const wrote = new Set(r.map((x) => `${x.batch_id}:${x.idx}`));
    return done.map((d) => wrote.has(`${d.line.batchId}:${d.line.idx}`));
  }

  /** Gives a line back to run later (engine failure, no slot in time), if `owner` still holds it. */
  async release(owner: string, line: ClaimedLine, afterMs: number, countsAsAttempt: boolean): Promise<void> {
    await this.q((sql) => sql`
      UPDATE batch_lines SET state = 'pending', lease_owner = NULL, lease_until = NULL, not_before = now() + ${afterMs} * interval '1 millisecond',
        attempts = attempts - ${countsAsAttempt ? 0 : 1}
      WHERE batch_id = ${line.batchId} AND idx = ${line.idx} AND state = 'leased' AND lease_owner = ${owner}`);
  }

  /** The tenant's daily quota is used up: no line of this batch is claimed before `afterMs` from now. */
  async pause(owner: string, line: ClaimedLine, afterMs: number): Promise<void> {
    await this.release(owner, line, afterMs, false);
    await this.q((sql) => sql`UPDATE batches SET paused_until = now() + ${afterMs} * interval '1 millisecond' WHERE id = ${line.batchId}`);
  }

  /** Deletes files and finished batches past the retention period; returns what went. */
  async sweepRetention(): Promise<{ files: number; batches: number }> {
    const files = await this.q((sql) => sql`DELETE FROM batch_files WHERE expires_at <= now() RETURNING id`);
    const batches = await this.q((sql) => sql`
      DELETE FROM batches WHERE status IN ('completed', 'failed', 'expired', 'cancelled')
        AND created_at <= now() - ${this.retentionDays} * interval '1 day' RETURNING id`);
    return { files: files.length, batches: batches.length };
  }
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: rows.length > limit };
}
