import type { JobStatus } from '../retrieval/jobs.ts';
import type { RetrievalStage } from '../retrieval/stage.ts';
import type { CollectionInfo, DocumentInfo } from '../retrieval/store/store.ts';

export interface RetrievalView {
  collections: Array<{ tenant: string; collection: CollectionInfo; documents: Array<Pick<DocumentInfo, 'id' | 'format' | 'bytes' | 'chunks' | 'duplicatesDropped' | 'contentSha256' | 'updatedAt'>> }>;
  jobs: Array<JobStatus & { tenant: string }>;
}

/**
 * The retrieval stage as the console shows it: each tenant's collections and documents (ids,
 * sizes, digests: never their text or titles) and this replica's ingestion jobs with progress.
 */
export async function retrievalView(stage: RetrievalStage, tenants: readonly string[]): Promise<RetrievalView> {
  const jobs = stage.jobs.all().map((j) => ({ ...j.status, tenant: j.tenant }));
  const all = [...new Set([...tenants, ...jobs.map((j) => j.tenant)])].sort();
  const collections: RetrievalView['collections'] = [];
  for (const tenant of all) {
    for (const collection of await stage.store.listCollections(tenant)) {
      const docs = (await stage.store.listDocuments({ tenant, collection: collection.name })) ?? [];
      collections.push({
        tenant,
        collection,
        documents: docs.map(({ id, format, bytes, chunks, duplicatesDropped, contentSha256, updatedAt }) => ({ id, format, bytes, chunks, duplicatesDropped, contentSha256, updatedAt })),
      });
    }
  }
  return { collections, jobs };
}
