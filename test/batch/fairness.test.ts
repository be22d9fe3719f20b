/**
 * Claims are fair across tenants' batches: the tenant with the fewest lines running goes first,
 * then its batch with the fewest, whatever order the batches came in. Against a real Postgres
 * server, with the store alone (no runner claiming beside the test).
 */
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { batchConfigSchema } from '../../origin/batch/config.ts';
import { BatchStore } from '../../origin/batch/store/store.ts';
import type { ClaimedLine, InputLine } from '../../origin/batch/types.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts';

let pg: PostgresServer;
let store: BatchStore;

beforeAll(async () => {
  pg = await startPostgres();
  store = await BatchStore.open(batchConfigSchema.parse({ enabled: true, databaseUrl: pg.url, databaseRegion: 'local' }), pino({ level: 'silent' }));
}, 60_000);
afterAll(async () => {
  await store?.close();
  await pg?.close();
});

async function batchOf(tenant: string, n: number): Promise<string> {
  const lines: InputLine[] = Array.from({ length: n }, (_, i) => ({ custom_id: `${tenant}-${i}`, method: 'POST', url: '/v1/embeddings', body: '{}' }));
  const f = await store.createFile({ tenant, filename: 'in.jsonl', purpose: 'batch', content: new TextEncoder().encode('x'), lineCount: n });
  const b = await store.createBatch({ tenant, endpoint: '/v1/embeddings', inputFileId: f.id, completionWindow: '24h', metadata: null, models: [] });
  const phase = await store.claimPhase('tester', 60_000);
  expect(phase?.id).toBe(b.id);
  expect(await store.startBatch(b.id, 'tester', lines)).toBe(true);
  return b.id;
}

it('alternates tenants, then batches within a tenant, however many lines each queued first', async () => {
  // The big tenant queued two batches before the small one queued its only batch.
  const big1 = await batchOf('big', 20);
  const big2 = await batchOf('big', 20);
  const small = await batchOf('small', 20);
  const claimed: ClaimedLine[] = [];
  for (let i = 0; i < 8; i++) claimed.push((await store.claimLine(`replica-${i % 3}`, 60_000))!);
  const byTenant = (t: string) => claimed.filter((l) => l.tenant === t).length;
  expect(byTenant('big')).toBe(4);
  expect(byTenant('small')).toBe(4);
  const byBatch = (id: string) => claimed.filter((l) => l.batchId === id).length;
  expect([byBatch(big1), byBatch(big2), byBatch(small)]).toEqual([2, 2, 4]);
  // Every line claimed once.
  expect(new Set(claimed.map((l) => `${l.batchId}:${l.idx}`)).size).toBe(8);
});
