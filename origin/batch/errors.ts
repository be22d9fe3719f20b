import { errors, PuertaError } from '../../shared/errors.ts';
import type { BatchError } from './types.ts';

/** The batch API's own refusals, in OpenAI's error shape (the error handler writes it), naming the field. */
export const batchErrors = {
  fileNotFound: (id: string) => new PuertaError({ status: 404, type: 'not_found_error', code: 'file_not_found', param: 'file_id', message: `No file with id '${id}' among this tenant's files`, retryable: false }),
  batchNotFound: (id: string) => new PuertaError({ status: 404, type: 'not_found_error', code: 'batch_not_found', param: 'batch_id', message: `No batch with id '${id}' among this tenant's batches`, retryable: false }),
  /** An upload or input file refused: the first problems, each with its line. */
  invalidFile: (errs: readonly BatchError[]) => {
    const first = errs[0]!;
    const more = errs.length > 1 ? ` (and ${errs.length - 1} more: ${errs.slice(1, 5).map((e) => e.message).join('; ')})` : '';
    return errors.badRequest(`${first.message}${more}`, first.param, first.code);
  },
};
