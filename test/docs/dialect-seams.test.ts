/**
 * A client dialect is its folder plus the route table (docs/dialects.md, "Adding a dialect"):
 * nothing generic in the origin, the edge or shared/ may know one. Gemini, the last one added,
 * is the proof: outside its folder only the route table, the registry's line and its error wire
 * (which the edge needs, reached through the route table) may name it, and only the registry
 * imports its folder.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(new URL('../../', import.meta.url).pathname);
const FOLDER = 'origin/dialects/client/gemini/';
const REGISTRY = 'origin/dialects/client/index.ts';
const ERROR_WIRE = 'shared/dialects/gemini.ts';
const ROUTE_TABLE = 'shared/routes.ts';
const ALLOWED = new Set([ROUTE_TABLE, REGISTRY, ERROR_WIRE]);
const MENTION = /gemini|goog/i;

/** Every text file under origin/, edge/ and shared/, as paths from the repository root. */
function files(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const path = `${dir}/${name}`;
      if (name === 'node_modules') continue;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (/\.(ts|mts|js|mjs|json|md|toml|sh|html|css)$/.test(name)) out.push(path);
    }
  };
  for (const top of ['origin', 'edge', 'shared']) walk(top);
  return out;
}

/** The files a source file imports (relative specifiers only), as paths from the repository root. */
function importsOf(file: string): string[] {
  const src = readFileSync(join(root, file), 'utf8');
  const specs = [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(root, resolve(root, dirname(file), s)));
}

describe('a client dialect is its folder and the route table (Gemini)', () => {
  const all = files();
  const sources = all.filter((f) => f.endsWith('.ts'));

  it('is named by no file outside its folder but the route table, the registry and its error wire', () => {
    expect(all.length).toBeGreaterThan(100);
    const naming = all.filter((f) => !f.startsWith(FOLDER) && !ALLOWED.has(f) && MENTION.test(readFileSync(join(root, f), 'utf8')));
    expect(naming).toEqual([]);
  });

  it('takes one line of the registry: its import and its spread', () => {
    const lines = readFileSync(join(root, REGISTRY), 'utf8').split('\n').filter((l) => MENTION.test(l));
    expect(lines).toEqual([expect.stringMatching(/^import \{ \w+ \} from '\.\/gemini\/index\.ts';$/), expect.stringMatching(/^\s*\.\.\.\w+,$/)]);
  });

  it('is imported only by the registry, and its error wire only through the route table', () => {
    const importers = (target: (path: string) => boolean) => sources.filter((f) => !f.startsWith(FOLDER) && importsOf(f).some(target));
    expect(importers((p) => `${p}/`.startsWith(FOLDER) || p.startsWith(FOLDER))).toEqual([REGISTRY]);
    expect(importers((p) => p === ERROR_WIRE)).toEqual([ROUTE_TABLE]);
  });
});
