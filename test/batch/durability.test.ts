/**
 * Durable through any restart: three origin replicas (separate processes) share Redis and one
 * Postgres and work one batch together; mid-batch one of them is killed with SIGKILL while it
 * holds lines, and Redis restarts (empty). Every custom_id is answered exactly once, none lost.
 * Run against a real Postgres server (Debian's postgresql-15, the production path) and against
 * one embedded PGlite shared by the three over its socket (the same machinery the origin embeds,
 * which lends its one Postgres session to one connection's exchange or transaction at a time and
 * undoes what a killed replica's connections left: origin/retrieval/store/pglite-exchanges.mjs).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../origin/retrieval/store/embedded.ts';
import { startOriginProcess, type Child } from '../../sre/bench/lib/processes.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { chatLines } from './helpers.ts';

const LINES = 60;

interface Db {
  url: string;
  close(): Promise<void>;
}

const databases: Record<string, () => Promise<Db>> = {
  'postgresql-15 server': startPostgres,
  'embedded PGlite shared by the replicas': () => startEmbeddedPostgres({ maxConnections: 16 }),
};

for (const [name, start] of Object.entries(databases)) {
  describe(`three replicas, one kill -9 and a Redis restart mid-batch (${name})`, () => {
    let db: Db;
    let redis: RedisServer;
    let sim: Simulator;
    /** The victim's engine: fifty times slower than the others' (about 2 s a line), so a line it holds is still running when it is killed. */
    let slowSim: Simulator;
    let sql: postgres.Sql;
    const replicas: Child[] = [];

    beforeAll(async () => {
      [db, redis, sim, slowSim] = await Promise.all([start(), startRedis(), startSimulator({ timeScale: 0.1, preloaded: ['llama3.2:3b'] }), startSimulator({ timeScale: 5, preloaded: ['llama3.2:3b'] })]);
      sql = postgres(db.url, { max: 1, onnotice: () => {} });
      const dir = mkdtempSync(join(tmpdir(), 'puerta-batch-'));
      const configFor = (engine: Simulator, name: string) => {
        const config = join(dir, name);
        writeFileSync(
          config,
          JSON.stringify({
            upstreams: [{ name: 'sim', url: engine.url }],
            admission: { defaultSlots: 4, replicas: 3 },
            batch: { enabled: true, databaseUrl: db.url, databaseRegion: 'local', concurrency: 2, leaseMs: 2_000, pollMs: 100 },
          }),
        );
        return { PUERTA_ORIGIN_CONFIG: config, REDIS_URL: redis.url, LOG_LEVEL: 'warn' };
      };
      const env = configFor(sim, 'origin.json');
      // One at a time: the first applies the migrations (the others would wait on its lock anyway).
      // The second is the victim.
      for (let i = 0; i < 3; i++) replicas.push(await startOriginProcess(i === 1 ? configFor(slowSim, 'victim.json') : env, 'tsx'));
    }, 180_000);

    afterAll(async () => {
      await Promise.all(replicas.map((r) => r.stop()));
      await sql?.end();
      await Promise.all([sim?.close(), slowSim?.close(), redis?.close(), db?.close()]);
    });

    it('answers every custom_id exactly once', async () => {
      const [a, victim] = replicas as [Child, Child, Child];
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', new Blob([chatLines(LINES, { tokens: 40 })]), 'input.jsonl');
      const file = (await (await fetch(`${a.url}/v1/files`, { method: 'POST', body: form })).json()) as { id: string };
      const created = await fetch(`${a.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) });
      const batch = (await created.json()) as { id: string };
      const status = async () => (await (await fetch(`${a.url}/v1/batches/${batch.id}`)).json()) as { status: string; request_counts: { total: number; completed: number; failed: number }; output_file_id: string | null };

      // Mid-batch, with lines in the victim's hands: kill it without warning.
      const held = () => sql<{ n: string }[]>`SELECT count(*) AS n FROM batch_lines WHERE batch_id = ${batch.id} AND state = 'leased' AND lease_owner LIKE ${`%:${victim.pid}:%`}`;
      // Its lines take about 2 s on its slow engine, so the lines seen leased here are still running
      // when the kill comes a moment later (not answered and waiting to be written).
      await expect.poll(async () => Number((await held())[0]!.n), { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
      const before = await status();
      expect(before.request_counts.completed).toBeLessThan(LINES);
      victim.proc.kill('SIGKILL');
      // Dead now: what it held stays leased to it until the leases run out and the others take them.
      expect(Number((await held())[0]!.n)).toBeGreaterThan(0);
      // And Redis (slots, quotas) goes away and comes back empty while the others carry on.
      await redis.restart(300);

      await expect.poll(async () => (await status()).status, { timeout: 120_000, interval: 250 }).toBe('completed');
      const done = await status();
      expect(done.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
      const text = await (await fetch(`${a.url}/v1/files/${done.output_file_id}/content`)).text();
      const ids = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
      expect(ids).toHaveLength(LINES);
      expect(new Set(ids).size).toBe(LINES);
      expect([...ids].sort()).toEqual(Array.from({ length: LINES }, (_, i) => `req-${i}`).sort());
      // The killed replica's lines ran again elsewhere: some line took more than one attempt.
      const [again] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM batch_lines WHERE batch_id = ${batch.id} AND attempts > 1`;
      expect(Number(again!.n)).toBeGreaterThan(0);
      // The survivors never fell over (on the shared PGlite, a statement cut in half by another connection's would crash its driver).
      expect([replicas[0]!.proc.exitCode, replicas[2]!.proc.exitCode]).toEqual([null, null]);
    }, 240_000);
  });
}
