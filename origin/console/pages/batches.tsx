import type { BatchRow } from '../batches-view.ts';
import { CONSOLE_PATH } from '../session.ts';

const time = (s: number | null) => (s === null ? '–' : new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 19));

/** Each tenant's batches with status and counts; re-rendered and pushed over the event stream as lines finish. */
export function BatchesFragment({ rows }: { rows: BatchRow[] }) {
  return (
    <table id="batches">
      <thead>
        <tr><th>Batch</th><th>Tenant</th><th>Endpoint</th><th>Status</th><th>Progress</th><th>Completed</th><th>Failed</th><th>Created</th><th>Started</th><th>Ended</th></tr>
      </thead>
      <tbody>
        {rows.map((b) => {
          const settled = b.request_counts.completed + b.request_counts.failed;
          return (
            <tr data-batch={b.id} data-status={b.status}>
              <td><code>{b.id}</code></td><td>{b.tenant}</td><td><code>{b.endpoint}</code></td><td>{b.status}</td>
              <td>
                <progress max={b.request_counts.total || 1} value={settled}></progress> {settled}/{b.request_counts.total}
              </td>
              <td>{b.request_counts.completed}</td><td>{b.request_counts.failed}</td>
              <td>{time(b.created_at)}</td><td>{time(b.in_progress_at)}</td><td>{time(b.completed_at ?? b.cancelled_at)}</td>
            </tr>
          );
        })}
        {rows.length === 0 ? <tr class="empty"><td colspan={10}>no batches yet (npm run batch -- submit, or POST /v1/batches)</td></tr> : null}
      </tbody>
    </table>
  );
}

export function BatchesPage({ rows }: { rows: BatchRow[] | null }) {
  if (!rows) return <p class="hint">The batch stage is off in this origin (BATCH_ENABLED=false).</p>;
  return (
    <div id="batch-list" data-sse={`${CONSOLE_PATH}/events/batches`}>
      <BatchesFragment rows={rows} />
    </div>
  );
}
