import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The structure drawn from the imports, as a newcomer reads it (type imports count: a reader
 * follows them too). The same reading as `node ../shared/tools/import-circles.mjs origin edge shared sim`.
 */
const root = resolve(new URL('../../', import.meta.url).pathname);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules') sources(p, out);
    } else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Each file's imports of the project's own files. */
function importGraph(dirs: string[]): Map<string, string[]> {
  const files = dirs.flatMap((d) => sources(join(root, d)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const to: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const t = resolve(dirname(f), m[1]!);
      const hit = [t, t.replace(/\.js$/, '.ts'), `${t}.ts`, join(t, 'index.ts')].find((c) => known.has(c));
      if (hit) to.push(hit);
    }
    graph.set(f, to);
  }
  return graph;
}

/** Strongly connected groups of more than one node (Tarjan): each one is an import circle. */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.map((f) => relative(root, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The origin folder a file belongs to: its first folder under origin/, or `origin/` for the files at the top. */
const originFolder = (file: string): string => {
  const parts = relative(join(root, 'origin'), file).split('/');
  return parts.length > 1 ? `origin/${parts[0]}/` : 'origin/';
};

describe('import structure', () => {
  it('has no import circle among the files of origin/, edge/, shared/ and sim/', () => {
    expect(circles(importGraph(['origin', 'edge', 'shared', 'sim']))).toEqual([]);
  });

  it('has no two origin folders that import each other (the files at the top of origin/ count as one folder)', () => {
    const graph = importGraph(['origin']);
    const edges = new Map<string, string>();
    for (const [from, tos] of graph) {
      for (const to of tos) {
        const a = originFolder(from);
        const b = originFolder(to);
        if (a !== b && !edges.has(`${a} -> ${b}`)) edges.set(`${a} -> ${b}`, `${relative(root, from)} -> ${relative(root, to)}`);
      }
    }
    const mutual: string[] = [];
    for (const [key, example] of edges) {
      const [a, b] = key.split(' -> ') as [string, string];
      const back = edges.get(`${b} -> ${a}`);
      if (a < b && back) mutual.push(`${a} <-> ${b}: ${example}; ${back}`);
    }
    expect(mutual).toEqual([]);
  });

  it('origin/core/ imports nothing else of the origin', () => {
    const outside: string[] = [];
    for (const [from, tos] of importGraph(['origin'])) {
      if (originFolder(from) !== 'origin/core/') continue;
      for (const to of tos) if (originFolder(to) !== 'origin/core/') outside.push(`${relative(root, from)} -> ${relative(root, to)}`);
    }
    expect(outside).toEqual([]);
  });

  it('OriginDeps is read only where the app is built (origin/app.ts and origin/node/)', () => {
    const deps = join(root, 'origin/deps.ts');
    const readers = [...importGraph(['origin'])].filter(([, tos]) => tos.includes(deps)).map(([from]) => relative(root, from));
    expect(readers.filter((f) => f !== 'origin/app.ts' && !f.startsWith('origin/node/'))).toEqual([]);
  });
});
