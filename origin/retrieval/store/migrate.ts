import type postgres from 'postgres';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Applies every migration of `list` not yet recorded in `table`, in order, in one transaction
 * under an advisory lock (replicas starting together do not race); returns how many ran. Each
 * store (retrieval, batch) has its own table and lock key, so they may share one database.
 */
export async function applyMigrations(sql: postgres.Sql, lockKey: number, table: string, list: ReadonlyArray<Migration>): Promise<number> {
  let ran = 0;
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${lockKey})`;
    await tx`CREATE TABLE IF NOT EXISTS ${tx(table)} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const done = new Set((await tx<{ version: number }[]>`SELECT version FROM ${tx(table)}`).map((r) => r.version));
    for (const m of list) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO ${tx(table)} (version, name) VALUES (${m.version}, ${m.name})`;
      ran++;
    }
  });
  return ran;
}
