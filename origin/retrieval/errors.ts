import { PuertaError } from '../../shared/errors.ts';
import type { DocumentWorkError } from './document-workers.ts';

export const retrievalErrors = {
  collectionNotFound: (collection: string, hint = '') =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'collection_not_found', param: 'collection', message: `no collection '${collection}' for this tenant${hint}`, retryable: false }),
  documentNotFound: (collection: string, id: string) =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'document_not_found', param: 'document', message: `no document '${id}' in collection '${collection}' of this tenant`, retryable: false }),
  jobNotFound: (id: string) =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'job_not_found', param: 'job', message: `no ingestion job '${id}' for this tenant on this origin (jobs are kept in the memory of the replica that took the upload)`, retryable: false }),
  /** An upload whose JSON the document workers could not parse for it (busy, or over a budget). */
  uploadNotRead: (e: DocumentWorkError) =>
    e.code === 'workers_busy'
      ? new PuertaError({ status: 503, type: 'overloaded_error', code: e.code, message: `${e.queue} uploads already wait for the document workers (retrieval.ingest.workerQueue); retry shortly`, retryAfter: 1, retryable: true })
      : new PuertaError({
          status: 400,
          type: 'invalid_request_error',
          code: e.code,
          param: 'body',
          message:
            e.code === 'cpu_budget_exceeded'
              ? `reading this upload's JSON took more than ${e.limitMs} ms of CPU (retrieval.ingest.cpuMsPerDocument)`
              : e.code === 'memory_budget_exceeded'
                ? `reading this upload's JSON needed more than ${e.limitMb} MB (retrieval.ingest.workerMemoryMb)`
                : `reading this upload's JSON failed (${e.error})`,
          retryable: false,
        }),
  disabled: () =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'retrieval_disabled', message: 'retrieval is not enabled on this origin (set RETRIEVAL_ENABLED=true)', retryable: false }),
};
