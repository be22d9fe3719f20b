import { describe, expect, it } from 'vitest';
import { StatementScheduler } from '../../origin/retrieval/store/scheduler.ts';

/** A statement that finishes when the test says so. */
function held(): { run: () => Promise<void>; finish: () => void; started: boolean } {
  let finish!: () => void;
  const h = {
    started: false,
    finish: () => finish(),
    run: () => {
      h.started = true;
      return new Promise<void>((r) => (finish = r));
    },
  };
  return h;
}

describe('statement scheduler with a pool (a real Postgres)', () => {
  it('ingestion never holds the last connection: a search starts at once while uploads fill the rest', async () => {
    const s = new StatementScheduler(3);
    const ingest = Array.from({ length: 5 }, () => held());
    const done = ingest.map((h) => s.run('ingest', h.run));
    expect(ingest.map((h) => h.started)).toEqual([true, true, false, false, false]);
    const search = held();
    const searched = s.run('interactive', search.run);
    expect(search.started).toBe(true);
    search.finish();
    await searched;
    // A finished ingest statement hands its connection to the next one queued, still at most two.
    ingest[0]!.finish();
    await done[0];
    await new Promise((r) => setImmediate(r));
    expect(ingest.map((h) => h.started)).toEqual([true, true, true, false, false]);
    for (const h of ingest.slice(1)) {
      await new Promise((r) => setImmediate(r));
      h.finish();
    }
    await Promise.all(done);
    expect(s.completed('ingest')).toBe(5);
    expect(s.completed('interactive')).toBe(1);
  });

  it('refuses a pool of no connections', () => {
    expect(() => new StatementScheduler(0)).toThrow(/at least one connection/);
  });
});
