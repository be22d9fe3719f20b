/**
 * The README's configuration tables are what an SRE copies from: every value they offer for a
 * variable must start the origin. Each row's documented values (the default column, and in the
 * meaning column the backticked words written as choices: "`x`:", "`x` (", "`a`/`b`", "`a` or `b`") are loaded
 * through the origin's own loader; a value it refuses fails here, with the row named.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_MAP, UPSTREAM_ENV, loadOriginConfig } from '../../origin/config/load.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

export interface DocumentedRow {
  line: number;
  vars: string[];
  values: string[];
}

const BASE = { OLLAMA_URL: 'http://127.0.0.1:11434' };
const known = new Set([...ENV_MAP.map(([e]) => e), ...UPSTREAM_ENV.map(([e]) => e)]);

/** Rows of every markdown table whose first cell names origin environment variables. */
export function documentedRows(text: string): DocumentedRow[] {
  const rows: DocumentedRow[] = [];
  let header: string[] | undefined;
  text.split('\n').forEach((line, i) => {
    if (!line.startsWith('|')) {
      header = undefined;
      return;
    }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (!header) {
      header = cells.map((c) => c.toLowerCase());
      return;
    }
    if (cells.every((c) => /^-+$/.test(c))) return;
    const vars = [...cells[0]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!).filter((v) => known.has(v));
    if (vars.length === 0) return;
    const values: string[] = [];
    const def = header.indexOf('default');
    if (def >= 0) {
      const d = cells[def]!;
      const tick = /^`([^`]+)`(?:,\s*`([^`]+)`)?$/.exec(d);
      if (tick) values.push(...[tick[1]!, tick[2]].filter((v): v is string => v !== undefined));
      else if (/^-?\d+$/.test(d)) values.push(d);
    }
    const meaning = cells[cells.length - 1]!;
    const choice = /(?<=^|[\s(/;])`([a-z][a-z0-9_-]*)`(?=:|\s\(|\/|\s+or\s+`)|(?<=\/|\bor\s)`([a-z][a-z0-9_-]*)`/g;
    for (const m of meaning.matchAll(choice)) values.push((m[1] ?? m[2])!);
    rows.push({ line: i + 1, vars, values: [...new Set(values)] });
  });
  return rows;
}

/** Whether the origin starts with `name=value` (only that variable's field may be what fails). */
function accepts(name: string, value: string): boolean {
  try {
    // Modes that need a companion setting get it, so only the value itself is judged.
    loadOriginConfig({ env: { ...BASE, EDGE_SIGNING_SECRET: 'x'.repeat(32), TENANTS_FILE: '/dev/null', REDIS_URL: 'redis://127.0.0.1:6379', [name]: value } });
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

describe('README configuration tables', () => {
  const rows = documentedRows(readme);

  it('finds the documented rows and values (the parser itself)', () => {
    expect(rows.length).toBeGreaterThan(20);
    const auth = rows.find((r) => r.vars.includes('AUTH_MODE'))!;
    expect(auth.values).toEqual(expect.arrayContaining(['none', 'edge', 'keys']));
    const store = rows.find((r) => r.vars.includes('QUOTA_STORE'))!;
    expect(store.values).toEqual(expect.arrayContaining(['auto', 'redis', 'memory', 'local', 'allow', 'deny']));
  });

  it('catches a value the schema refuses (ADMISSION_MODE=on once offered here)', () => {
    const fake = documentedRows('| variable | field | meaning |\n|---|---|---|\n| `ADMISSION_MODE` | `admission.mode` | `on` (queue in the origin) or `off` (plain pass-through) |\n');
    expect(fake[0]!.values).toEqual(['on', 'off']);
    expect(accepts('ADMISSION_MODE', 'on')).toBe(false);
    expect(accepts('ADMISSION_MODE', 'off')).toBe(true);
  });

  it('every value the README offers for a variable is accepted by the origin', () => {
    const refused = rows.flatMap((r) => r.values.filter((v) => !r.vars.some((name) => accepts(name, v))).map((v) => `README.md:${r.line} ${r.vars.join('/')}=${v}`));
    expect(refused).toEqual([]);
  });

  it('every numeric default in the README is the schema default', () => {
    const wrong: string[] = [];
    const cfg = loadOriginConfig({ env: BASE }) as unknown as Record<string, unknown>;
    for (const r of documentedRows(readme)) {
      const value = r.values.find((v) => /^-?\d+$/.test(v));
      if (!value || r.vars.length !== 1) continue;
      const path = [...ENV_MAP, ...UPSTREAM_ENV.map(([e, k]) => [e, `upstreams.0.${k}`] as const)].find(([e]) => e === r.vars[0])![1];
      const actual = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], cfg);
      if (String(actual) !== value) wrong.push(`README.md:${r.line} ${r.vars[0]}: documented ${value}, schema default ${String(actual)}`);
    }
    expect(wrong).toEqual([]);
  });
});
