import { PuertaError } from '../../shared/errors.ts';

export const retrievalErrors = {
  collectionNotFound: (collection: string, hint = '') =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'collection_not_found', param: 'collection', message: `no collection '${collection}' for this tenant${hint}`, retryable: false }),
  documentNotFound: (collection: string, id: string) =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'document_not_found', param: 'document', message: `no document '${id}' in collection '${collection}' of this tenant`, retryable: false }),
  jobNotFound: (id: string) =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'job_not_found', param: 'job', message: `no ingestion job '${id}' for this tenant on this origin (jobs are kept in the memory of the replica that took the upload)`, retryable: false }),
  disabled: () =>
    new PuertaError({ status: 404, type: 'not_found_error', code: 'retrieval_disabled', message: 'retrieval is not enabled on this origin (set RETRIEVAL_ENABLED=true)', retryable: false }),
};
