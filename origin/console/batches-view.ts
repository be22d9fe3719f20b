import type { BatchService } from '../batch/service.ts';
import type { BatchObject } from '../batch/types.ts';

/** A batch as the console shows it: ids, status, counts and times; never a line, a file's content or its metadata values. */
export type BatchRow = Pick<BatchObject, 'id' | 'endpoint' | 'status' | 'request_counts' | 'created_at' | 'in_progress_at' | 'completed_at' | 'cancelled_at'> & { tenant: string };

/** Batches the page lists per tenant, newest first. */
const PER_TENANT = 50;

/** Each tenant's latest batches from the shared store (every replica's progress shows). */
export async function batchesView(stage: BatchService, tenants: readonly string[]): Promise<BatchRow[]> {
  const rows: BatchRow[] = [];
  for (const tenant of [...new Set(tenants)].sort()) {
    const page = await stage.store.listBatches(tenant, { limit: PER_TENANT });
    for (const b of page.data) {
      rows.push({ tenant, id: b.id, endpoint: b.endpoint, status: b.status, request_counts: b.request_counts, created_at: b.created_at, in_progress_at: b.in_progress_at, completed_at: b.completed_at, cancelled_at: b.cancelled_at });
    }
  }
  return rows;
}
