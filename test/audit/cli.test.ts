import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSink } from '../../origin/audit/file-sink.ts';
import { tempDir } from './helpers.ts';

const DAY = '2026-04-02';
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'origin/audit/cli.ts', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });

describe('audit CLI (npm run audit -- verify|export)', () => {
  const tmp = tempDir();
  beforeAll(async () => {
    const sink = new FileSink({ dir: tmp.dir, region: 'cr-sjo-1', node: 'n1', maxFileBytes: 1e6, fsync: false, log: pino({ level: 'silent' }), now: () => Date.parse(`${DAY}T12:00:00Z`) });
    await sink.open();
    const rec = (i: number, tenant: string) => JSON.stringify({ type: 'request', id: `req-${i}`, tenant, outcome: 'ok' });
    await sink.write([rec(1, 'acme'), rec(2, 'banco'), rec(3, 'acme')]);
    await sink.close();
  });
  afterAll(() => tmp.cleanup());

  it('verify: intact day, counts by tenant, exit 0', () => {
    const r = cli(['verify', '--dir', tmp.dir, '--date', DAY]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`audit ${DAY} in ${tmp.dir}: INTACT`);
    expect(r.stdout).toContain('records: 3');
    expect(r.stdout).toContain('"acme":2');
  });

  it('export: only the tenant\'s records, from verified days', () => {
    const r = cli(['export', '--tenant', 'acme', '--from', DAY, '--to', DAY], { AUDIT_DIR: tmp.dir });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; tenant: string });
    expect(lines.map((l) => l.id)).toEqual(['req-1', 'req-3']);
    expect(r.stderr).toContain('exported 2 records of tenant acme');
  });

  it('verify exits 1 on an edited file, export leaves the day out (exit 2) unless --force', () => {
    const f = join(tmp.dir, readdirSync(tmp.dir)[0]!);
    writeFileSync(f, readFileSync(f, 'utf8').replace('"id":"req-2","tenant":"banco"', '"id":"req-2","tenant":"acme"'));
    const v = cli(['verify', '--dir', tmp.dir, '--date', DAY]);
    expect(v.status).toBe(1);
    expect(v.stdout).toContain('BROKEN');
    expect(v.stdout).toMatch(/ERROR .*edited or reordered/);
    const e = cli(['export', '--dir', tmp.dir, '--tenant', 'acme', '--date', DAY]);
    expect(e.status).toBe(2);
    expect(e.stdout).toBe('');
    const forced = cli(['export', '--dir', tmp.dir, '--tenant', 'acme', '--date', DAY, '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('bad usage names the problem', () => {
    const r = cli(['verify', '--dir', tmp.dir, '--date', '02/04/2026']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('--date 02/04/2026: expected YYYY-MM-DD');
  });
});
