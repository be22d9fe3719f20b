/**
 * Docs live in the repository: every Markdown file the code or the docs point to is in it, and
 * nothing points outside (background notes elsewhere are not the reader's to open).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|md|json|toml|conf|service|yml|sh|example)$/.test(f) && f !== 'package-lock.json' && existsSync(join(root, f)));

describe('references in the repository', () => {
  it('every Markdown file named in code or docs exists in the repository', () => {
    const missing: string[] = [];
    for (const f of files) {
      // Tests name documents as data (an ingested vpn.md); what they point readers to is in the docs and code.
      if (f.startsWith('test/')) continue;
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/(?<![\w/.-])((?:\.{1,2}\/)*[\w.-]+(?:\/[\w.-]+)*\.md)\b/g)) {
        const ref = m[1]!;
        if (/^(?:CHANGELOG|LICENSE)\.md$/.test(ref)) continue;
        const candidates = [join(root, ref), join(root, dirname(f), ref)];
        if (!candidates.some((c) => c.startsWith(root) && existsSync(c))) missing.push(`${f}: ${ref}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('nothing refers to files outside the repository', () => {
    const outside = files.flatMap((f) => {
      if (f === 'test/docs/repo-references.test.ts') return [];
      const text = readFileSync(join(root, f), 'utf8');
      return [...text.matchAll(/\/work\/|\.\.\/shared\/[A-Z][\w-]*\.md|(?<![\w/])(?:shared\/)?(?:DESIGN|UPSTREAM-PROTOCOL)\.md/g)].map((m) => `${f}: ${m[0]}`);
    });
    expect(outside).toEqual([]);
  });

  it('the design and wire contracts are in docs/', () => {
    for (const doc of ['docs/design.md', 'docs/wire-contracts.md', 'docs/upstream-protocol.md']) expect(existsSync(join(root, doc)), doc).toBe(true);
  });
});
