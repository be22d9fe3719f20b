import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The README's folder table: each row's folders (first column) and the folders its text names. */
function folderTable(): Array<{ folders: string[]; named: string[] }> {
  const start = readme.indexOf('| folder | what it holds |');
  const end = readme.indexOf('\n\n', start);
  const rows = readme.slice(start, end).split('\n').slice(2);
  const folders = (cell: string) => [...cell.matchAll(/`([^`]+\/)`/g)].map((m) => m[1]!);
  return rows.map((row) => {
    const [, first = '', text = ''] = row.split('|');
    return { folders: folders(first), named: folders(text) };
  });
}

describe("README's folder table", () => {
  const rows = folderTable();

  it('names only folders that exist: each row, and the subfolders its text names inside it', () => {
    expect(rows.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const r of rows) {
      for (const f of r.folders) if (!existsSync(join(root, f))) missing.push(f);
      // A row about one folder names its subfolders relative to it (`client/` in `origin/dialects/`).
      if (r.folders.length === 1) for (const n of r.named) if (!existsSync(join(root, r.folders[0]!, n)) && !existsSync(join(root, n))) missing.push(`${r.folders[0]}${n}`);
    }
    expect(missing).toEqual([]);
  });

  it("has a row for every folder of origin/", () => {
    const listed = new Set(rows.flatMap((r) => r.folders));
    const folders = readdirSync(join(root, 'origin')).filter((f) => statSync(join(root, 'origin', f)).isDirectory()).map((f) => `origin/${f}/`);
    expect(folders.filter((f) => !listed.has(f))).toEqual([]);
  });
});
