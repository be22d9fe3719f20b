import type { RetrievalView } from '../retrieval-view.ts';
import { CONSOLE_PATH } from '../session.ts';
import { bytes } from './layout.tsx';

/** Collections and ingestion jobs; re-rendered and pushed over the event stream as jobs progress. */
export function RetrievalFragment({ view }: { view: RetrievalView }) {
  return (
    <div>
      <h2>Ingestion jobs (this replica)</h2>
      <table id="jobs">
        <thead>
          <tr><th>Job</th><th>Tenant</th><th>Collection</th><th>State</th><th>Documents</th><th>Chunks stored</th><th>Duplicates dropped</th><th>Errors</th></tr>
        </thead>
        <tbody>
          {view.jobs.map((j) => (
            <tr data-job={j.id} data-state={j.state}>
              <td><code>{j.id}</code></td><td>{j.tenant}</td><td>{j.collection}</td><td>{j.state}</td>
              <td>
                <progress max={j.documents.total} value={j.documents.done + j.documents.failed}></progress> {j.documents.done + j.documents.failed}/{j.documents.total}
              </td>
              <td>{j.chunks.stored}</td><td>{j.chunks.duplicatesDropped}</td>
              <td>{j.errors.map((e) => `${e.document}: ${e.code}`).join(', ') || 'none'}</td>
            </tr>
          ))}
          {view.jobs.length === 0 ? <tr class="empty"><td colspan={8}>no ingestion jobs since this replica started</td></tr> : null}
        </tbody>
      </table>
      <h2>Collections</h2>
      {view.collections.length === 0 ? <p class="hint">no collections yet (npm run ingest, or POST /v1/collections/&lt;name&gt;/documents)</p> : null}
      {view.collections.map(({ tenant, collection, documents }) => (
        <section data-collection={`${tenant}/${collection.name}`}>
          <h3>
            {tenant} / {collection.name} <small>{collection.documents} documents, {collection.chunks} chunks, since {collection.createdAt.slice(0, 10)}</small>
          </h3>
          <table>
            <thead>
              <tr><th>Document</th><th>Format</th><th>Size</th><th>Chunks</th><th>Duplicates dropped</th><th>SHA-256</th><th>Updated</th></tr>
            </thead>
            <tbody>
              {documents.map((d) => (
                <tr data-document={d.id}>
                  <td><code>{d.id}</code></td><td>{d.format}</td><td>{bytes(d.bytes)}</td><td>{d.chunks}</td><td>{d.duplicatesDropped}</td><td><code>{d.contentSha256.slice(0, 12)}</code></td><td>{d.updatedAt.replace('T', ' ').slice(0, 19)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}

export function RetrievalPage({ view }: { view: RetrievalView | null }) {
  if (!view) return <p class="hint">The retrieval stage is off in this origin (RETRIEVAL_ENABLED=false).</p>;
  return (
    <div id="retrieval" data-sse={`${CONSOLE_PATH}/events/retrieval`}>
      <RetrievalFragment view={view} />
    </div>
  );
}
