/**
 * What Anthropic's Message Batches read from the batch store beyond the OpenAI objects: counts by
 * Anthropic's result types, listing both ways (before_id/after_id), each line's finished state for
 * the results file, and deleting an ended batch with its files. Statements go through the store's
 * own `q` (one transaction each: see BatchStore.q), on the store's tables.
 */
import type { BatchStatus } from '../lifecycle.ts';
import type { BatchStore } from './store.ts';

/** Lines of a batch by what became of them, and the lines of its input file (known before validation). */
export interface LineTally {
  status: BatchStatus;
  lines: number;
  succeeded: number;
  errored: number;
  expired: number;
  open: number;
}

/** A line as the results file needs it. */
export interface LineResult {
  customId: string;
  done: boolean;
  statusCode: number | null;
  response: string | null;
  error: { code: string; message: string } | null;
}

/** The line error the store writes for lines left when the completion window passed. */
const EXPIRED_CODE = 'batch_expired';

export class MessageBatchQueries {
  constructor(
    private readonly store: BatchStore,
    /** The endpoint Message Batches run; listings show only these batches. */
    private readonly endpoint: string,
  ) {}

  async tally(tenant: string, id: string): Promise<LineTally | undefined> {
    const [r] = await this.store.q((sql) => sql<{ status: BatchStatus; total: number; line_count: number | null; succeeded: string; errored: string; expired: string; done: string }[]>`
      SELECT b.status, b.total, f.line_count,
        (SELECT count(*) FROM batch_lines l WHERE l.batch_id = b.id AND l.state = 'done' AND l.status_code BETWEEN 200 AND 299) AS succeeded,
        (SELECT count(*) FROM batch_lines l WHERE l.batch_id = b.id AND l.state = 'done' AND (l.status_code IS NULL OR l.status_code NOT BETWEEN 200 AND 299)
           AND (l.error IS NULL OR l.error->>'code' <> ${EXPIRED_CODE})) AS errored,
        (SELECT count(*) FROM batch_lines l WHERE l.batch_id = b.id AND l.state = 'done' AND l.error->>'code' = ${EXPIRED_CODE}) AS expired,
        (SELECT count(*) FROM batch_lines l WHERE l.batch_id = b.id AND l.state = 'done') AS done
      FROM batches b LEFT JOIN batch_files f ON f.id = b.input_file_id
      WHERE b.tenant_id = ${tenant} AND b.id = ${id} AND b.endpoint = ${this.endpoint}`);
    if (!r) return undefined;
    const lines = r.total || (r.line_count ?? 0);
    return { status: r.status, lines, succeeded: Number(r.succeeded), errored: Number(r.errored), expired: Number(r.expired), open: lines - Number(r.done) };
  }

  /** Ids newest first: after `after` (older), or before `before` (newer); `limit + 1` to tell has_more. */
  async list(tenant: string, q: { before?: string | undefined; after?: string | undefined; limit: number }): Promise<string[]> {
    const rows = await this.store.q((sql) => {
      const at = (id: string) => sql`(SELECT created_at, id FROM batches WHERE tenant_id = ${tenant} AND id = ${id})`;
      return sql<{ id: string }[]>`
        SELECT id FROM batches WHERE tenant_id = ${tenant} AND endpoint = ${this.endpoint}
          ${q.after ? sql`AND (created_at, id) < ${at(q.after)}` : sql``}
          ${q.before ? sql`AND (created_at, id) > ${at(q.before)}` : sql``}
        ORDER BY created_at ${q.before ? sql`ASC` : sql`DESC`}, id ${q.before ? sql`ASC` : sql`DESC`} LIMIT ${q.limit + 1}`;
    });
    const ids = rows.map((r) => r.id);
    // Paging backwards reads oldest first; the page itself is newest first like every other.
    return q.before ? [...ids.slice(0, q.limit).reverse(), ...ids.slice(q.limit)] : ids;
  }

  async results(tenant: string, id: string): Promise<LineResult[]> {
    const rows = await this.store.q((sql) => sql<{ custom_id: string; state: string; status_code: number | null; response: string | null; error: LineResult['error'] }[]>`
      SELECT l.custom_id, l.state, l.status_code, l.response, l.error FROM batch_lines l JOIN batches b ON b.id = l.batch_id
      WHERE b.tenant_id = ${tenant} AND b.id = ${id} ORDER BY l.idx`);
    return rows.map((r) => ({ customId: r.custom_id, done: r.state === 'done', statusCode: r.status_code, response: r.response, error: r.error }));
  }

  /** Deletes the batch, its lines and its files; false when this tenant has no such batch. */
  async delete(tenant: string, id: string): Promise<boolean> {
    return this.store.q(async (sql) => {
      const [b] = await sql<{ input_file_id: string; output_file_id: string | null; error_file_id: string | null }[]>`
        DELETE FROM batches WHERE tenant_id = ${tenant} AND id = ${id} AND endpoint = ${this.endpoint} RETURNING input_file_id, output_file_id, error_file_id`;
      if (!b) return false;
      const files = [b.input_file_id, b.output_file_id, b.error_file_id].filter((f): f is string => f !== null);
      await sql`DELETE FROM batch_files WHERE tenant_id = ${tenant} AND id IN ${sql(files)}`;
      return true;
    });
  }
}

export const isExpiredLine = (l: LineResult) => l.error?.code === EXPIRED_CODE;
