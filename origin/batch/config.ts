import { z } from 'zod';
import { envBool } from '../audit/config.ts';

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'region names are lower-case letters, digits and - (cr-sjo-1)');
const int = (min: number, max: number, def: number) => z.coerce.number().int().min(min).max(max).default(def);

/** The batch stage (origin/batch/): OpenAI's Files and Batch APIs, run in the batch admission class. */
export const batchConfigSchema = z
  .object({
    /** Off: no store, no /v1/files and /v1/batches routes. */
    enabled: envBool(false),
    /**
     * The operator's Postgres (postgres://…), shared by every origin replica: lines are claimed
     * with leases, so the replicas work one batch together. Unset: the embedded PGlite (one
     * process; state survives restarts when `embedded.dataDir` is set).
     */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL').optional(),
    /** Where that database keeps the files; required with databaseUrl (checked against the audit policy). */
    databaseRegion: regionName.optional(),
    /** Connections to the database (the embedded one always has one). */
    poolSize: int(1, 100, 4),
    embedded: z
      .object({
        /** Directory of the embedded database; unset keeps it in memory (gone at exit). */
        dataDir: z.string().min(1).optional(),
      })
      .prefault({}),
    /** Largest upload accepted by POST /v1/files (bytes of the multipart body). */
    maxFileBytes: int(1, 1024 * 1024 * 1024, 100 * 1024 * 1024),
    /** Lines one input file may hold (OpenAI: 50,000). */
    maxLines: int(1, 1_000_000, 50_000),
    /** Lines this replica runs at once; each waits for a slot in the batch class like any request. */
    concurrency: int(1, 1_024, 16),
    /** A claimed line is this replica's for this long, renewed while it runs; a dead replica's lines return after it. */
    leaseMs: int(1_000, 3_600_000, 15_000),
    /** How often an idle runner looks for work (a new batch also wakes it at once on this replica). */
    pollMs: int(10, 60_000, 500),
    /** Tries per line when the engine fails (5xx); 4xx answers are the line's result at once. */
    maxAttempts: int(1, 20, 3),
    /** Files and finished batches are deleted this many days after they were created. */
    retentionDays: int(1, 3_660, 30),
  })
  .prefault({});
export type BatchConfig = z.infer<typeof batchConfigSchema>;

export const BATCH_ENV: ReadonlyArray<readonly [env: string, path: string]> = [
  ['BATCH_ENABLED', 'batch.enabled'],
  ['BATCH_DATABASE_URL', 'batch.databaseUrl'],
  ['BATCH_DATABASE_REGION', 'batch.databaseRegion'],
  ['BATCH_DATA_DIR', 'batch.embedded.dataDir'],
  ['BATCH_MAX_FILE_BYTES', 'batch.maxFileBytes'],
  ['BATCH_CONCURRENCY', 'batch.concurrency'],
  ['BATCH_LEASE_MS', 'batch.leaseMs'],
  ['BATCH_RETENTION_DAYS', 'batch.retentionDays'],
];
