/**
 * The batch store's schema, one entry per version, applied in order at start under an advisory
 * lock (replicas starting together do not race). Never edit an applied entry: add the next version.
 * Its own version table (batch_schema_migrations): the retrieval store may share the database.
 */
export const BATCH_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'files, batches, lines',
    sql: `
CREATE TABLE batch_files (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  filename text NOT NULL,
  purpose text NOT NULL,
  bytes integer NOT NULL,
  -- Lines of a batch input file (validated at upload); null for output and error files.
  line_count integer,
  -- An upload's bytes. Output and error files have none: they are read from their batch's lines
  -- (batch_id, kind) when downloaded, so a result is stored once and never held whole in memory.
  content bytea,
  batch_id text,
  kind text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX batch_files_by_tenant ON batch_files (tenant_id, created_at DESC, id);
CREATE TABLE batches (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  endpoint text NOT NULL,
  input_file_id text NOT NULL,
  completion_window text NOT NULL,
  metadata jsonb,
  status text NOT NULL,
  -- The tenant's model allow-list when the batch was created (empty: every model).
  models jsonb NOT NULL DEFAULT '[]',
  -- Audit facts of the creating request, stamped on every line's record.
  country text,
  pop text,
  errors jsonb,
  output_file_id text,
  error_file_id text,
  total integer NOT NULL DEFAULT 0,
  -- Which replica runs this batch's validation or finalization, and until when (a lease).
  phase_owner text,
  phase_until timestamptz,
  -- A used-up daily token quota pauses the batch until the quota renews.
  paused_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  in_progress_at timestamptz,
  expires_at timestamptz NOT NULL,
  finalizing_at timestamptz,
  completed_at timestamptz,
  failed_at timestamptz,
  expired_at timestamptz,
  cancelling_at timestamptz,
  cancelled_at timestamptz
);
CREATE INDEX batches_by_tenant ON batches (tenant_id, created_at DESC, id);
CREATE INDEX batches_active ON batches (status) WHERE status IN ('validating', 'in_progress', 'finalizing', 'cancelling');
CREATE TABLE batch_lines (
  batch_id text NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  idx integer NOT NULL,
  custom_id text NOT NULL,
  tenant_id text NOT NULL,
  body text NOT NULL,
  -- pending → leased → done; a lease past lease_until is anyone's again.
  state text NOT NULL DEFAULT 'pending',
  lease_owner text,
  lease_until timestamptz,
  not_before timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  status_code integer,
  request_id text,
  response text,
  error jsonb,
  finished_at timestamptz,
  PRIMARY KEY (batch_id, idx),
  UNIQUE (batch_id, custom_id)
);
CREATE INDEX batch_lines_open ON batch_lines (batch_id, idx) WHERE state <> 'done';
-- Lines running now, counted at every claim for fairness: only the few leased rows.
CREATE INDEX batch_lines_leased ON batch_lines (batch_id) WHERE state = 'leased';
`,
  },
  {
    version: 2,
    name: 'leased lines by batch and lease end',
    // With lease_until in it the planner takes this index for claimLine's count of running lines
    // (`state = 'leased' AND lease_until >= now()`) even with no statistics, as on PGlite, which
    // never analyzes; on (batch_id) alone it read every open line of the batch instead
    // (10,000 lines: 17 ms a claim, 7-11 ms with this one).
    sql: `DROP INDEX IF EXISTS batch_lines_leased; CREATE INDEX batch_lines_leased ON batch_lines (batch_id, lease_until) WHERE state = 'leased';`,
  },
  {
    version: 3,
    name: 'how the batch tenant was known',
    // Its lines run as that tenant: one of `auth.mode: none` (everyone's `anonymous`) has no share
    // cap on the slots, as its own requests have none; before this every line ran as via 'edge'.
    sql: `ALTER TABLE batches ADD COLUMN via text NOT NULL DEFAULT 'edge';`,
  },
];
