import { z } from 'zod';
import { BATCH_ENDPOINTS } from './types.ts';

export const createBatchSchema = z.object({
  input_file_id: z.string().min(1, 'the id of a file uploaded with purpose "batch"'),
  endpoint: z.enum(BATCH_ENDPOINTS, { error: `must be one of ${BATCH_ENDPOINTS.join(', ')}` }),
  completion_window: z.literal('24h', { error: 'must be "24h" (the only window supported)' }),
  metadata: z
    .record(z.string().max(64, 'keys are at most 64 characters'), z.string().max(512, 'values are at most 512 characters'))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 keys')
    .nullish(),
});

const limit = z.coerce.number().int().min(1, 'at least 1').max(10_000, 'at most 10000').default(20);

export const listQuerySchema = z.object({
  after: z.string().min(1).optional(),
  limit,
});

export const listFilesQuerySchema = listQuerySchema.extend({
  purpose: z.enum(['batch', 'batch_output']).optional(),
});
