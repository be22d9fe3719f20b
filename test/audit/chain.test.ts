import { appendFileSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSink } from '../../origin/audit/file-sink.ts';
import { verifyDay } from '../../origin/audit/verify.ts';
import { tempDir } from './helpers.ts';

const log = pino({ level: 'silent' });
const DAY = '2026-03-10';
const at = (hhmm: string) => Date.parse(`${DAY}T${hhmm}:00Z`);

const line = (i: number, tenant = 'acme') =>
  JSON.stringify({ type: 'request', id: `req-${i}`, tenant, outcome: i % 5 === 0 ? 'rejected' : 'ok', bytesIn: i });

/** Writes `batches` batches of 10 records through a FileSink with small files (so it rotates). */
async function writeFiles(dir: string, o: { batches: number; maxFileBytes?: number; chainKey?: string; now?: () => number }) {
  let t = o.now ?? (() => at('10:00'));
  const sink = new FileSink({ dir, region: 'cr-sjo-1', node: 'n1', maxFileBytes: o.maxFileBytes ?? 2_000, fsync: true, log, now: () => t(), ...(o.chainKey ? { chainKey: o.chainKey } : {}) });
  await sink.open();
  for (let b = 0; b < o.batches; b++) await sink.write(Array.from({ length: 10 }, (_, i) => line(b * 10 + i)));
  return { sink, setNow: (f: () => number) => (t = f) };
}

const files = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();

describe('hash chain verification', () => {
  let tmp = tempDir();
  afterEach(() => {
    tmp.cleanup();
    tmp = tempDir();
  });

  it('intact files verify: rotation by size, seals, links, counts', async () => {
    const { sink } = await writeFiles(tmp.dir, { batches: 6 });
    await sink.close();
    expect(files(tmp.dir).length).toBeGreaterThan(1);
    const r = await verifyDay(tmp.dir, DAY, { today: DAY });
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.records).toBe(60);
    expect(r.byOutcome).toEqual({ ok: 48, rejected: 12 });
    expect(r.byTenant).toEqual({ acme: 60 });
    expect(r.files.every((f) => f.sealed)).toBe(true);
  });

  it('catches an edited record (hash no longer matches the seal)', async () => {
    const { sink } = await writeFiles(tmp.dir, { batches: 3 });
    await sink.close();
    const f = join(tmp.dir, files(tmp.dir)[0]!);
    writeFileSync(f, readFileSync(f, 'utf8').replace('"bytesIn":3}', '"bytesIn":4}'));
    const r = await verifyDay(tmp.dir, DAY, { today: DAY });
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toMatch(/edited or reordered/);
  });

  it('catches a deleted record (count no longer matches the seal)', async () => {
    const { sink } = await writeFiles(tmp.dir, { batches: 2, maxFileBytes: 1e6 });
    await sink.close();
    const f = join(tmp.dir, files(tmp.dir)[0]!);
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.splice(4, 1);
    writeFileSync(f, lines.join('\n'));
    const r = await verifyDay(tmp.dir, DAY, { today: DAY });
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toMatch(/seal counts 20 records, the file has 19/);
  });

  it('catches a truncated file: cut at a line boundary (seal gone) and cut mid-line', async () => {
    const { sink } = await writeFiles(tmp.dir, { batches: 6 });
    await sink.close();
    const [first, second] = files(tmp.dir);
    const f1 = join(tmp.dir, first!);
    const text = readFileSync(f1, 'utf8');
    // Remove the last two records and the seal: a clean cut at a newline.
    const kept = text.split('\n').slice(0, -4).join('\n') + '\n';
    writeFileSync(f1, kept);
    let r = await verifyDay(tmp.dir, DAY, { today: DAY });
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toContain(`${second}: link to ${first} says it was sealed, but it has no seal: it was truncated`);

    // The last file of the day, truncated mid-line on a past day: nothing anchors it but its seal.
    const names = files(tmp.dir);
    const last = join(tmp.dir, names[names.length - 1]!);
    truncateSync(last, readFileSync(last).byteLength - 30);
    r = await verifyDay(tmp.dir, DAY, { today: '2026-03-11' });
    expect(r.errors.join('\n')).toMatch(/not sealed and no file follows: the file was truncated/);
  });

  it('catches a missing file (the next header links to a file that is gone)', async () => {
    const { sink } = await writeFiles(tmp.dir, { batches: 6 });
    await sink.close();
    const names = files(tmp.dir);
    expect(names.length).toBeGreaterThanOrEqual(3);
    const { rmSync } = await import('node:fs');
    rmSync(join(tmp.dir, names[1]!));
    const r = await verifyDay(tmp.dir, DAY, { today: DAY });
    expect(r.errors.join('\n')).toMatch(/a file is missing/);
  });

  it('a crash leaves an unsealed file; after restart the chain continues and verifies', async () => {
    const { sink } = await writeFiles(tmp.dir, { batches: 2, maxFileBytes: 1e6 });
    void sink; // never closed: the process "died" here, mid-write of a third batch
    appendFileSync(join(tmp.dir, files(tmp.dir)[0]!), '{"type":"request","id":"req-torn","ten');
    const again = await writeFiles(tmp.dir, { batches: 1, maxFileBytes: 1e6 });
    await again.sink.close();
    const r = await verifyDay(tmp.dir, DAY, { today: DAY });
    expect(r.errors).toEqual([]);
    expect(r.records).toBe(30);
    expect(r.warnings.join('\n')).toMatch(/last line incomplete/);
    const header = JSON.parse(readFileSync(join(tmp.dir, files(tmp.dir)[1]!), 'utf8').split('\n')[0]!);
    expect(header.prev).toMatchObject({ records: 20, recovered: true });
  });

  it('rotates at the UTC day and links across days', async () => {
    const { sink, setNow } = await writeFiles(tmp.dir, { batches: 1, maxFileBytes: 1e6, now: () => at('23:59') });
    setNow(() => Date.parse('2026-03-11T00:00:30Z'));
    await sink.write([line(99)]);
    await sink.close();
    expect(files(tmp.dir)).toEqual(['audit_n1_2026-03-10_000.jsonl', 'audit_n1_2026-03-11_000.jsonl']);
    expect((await verifyDay(tmp.dir, DAY, { today: '2026-03-11' })).ok).toBe(true);
    const next = await verifyDay(tmp.dir, '2026-03-11', { today: '2026-03-11' });
    expect(next.errors).toEqual([]);
    expect(next.records).toBe(1);
  });

  it('with a chain key, a file rewritten with plain SHA-256 hashes does not verify', async () => {
    const key = 'k'.repeat(40);
    const { sink } = await writeFiles(tmp.dir, { batches: 1, maxFileBytes: 1e6, chainKey: key });
    await sink.close();
    expect((await verifyDay(tmp.dir, DAY, { today: DAY, chainKey: key })).ok).toBe(true);
    expect((await verifyDay(tmp.dir, DAY, { today: DAY, chainKey: 'x'.repeat(40) })).ok).toBe(false);
    expect((await verifyDay(tmp.dir, DAY, { today: DAY })).errors.join('\n')).toMatch(/give the chain key/);
  });
});
