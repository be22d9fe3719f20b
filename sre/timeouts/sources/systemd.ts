/**
 * systemd unit files and drop-ins as systemd reads them: `[Section]` headers, `Key=Value` lines,
 * `#`/`;` comments, backslash continuations. A line that is none of these is an error naming the
 * file and line (systemd would ignore it with a warning; the checker must not read past it).
 */
import { readFileSync } from 'node:fs';
import { ConfigReadError } from './read-config.ts';

export interface UnitEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

export function parseUnit(text: string, file: string): UnitEntry[] {
  const out: UnitEntry[] = [];
  let section = '';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z0-9_-]+$/.test(line.slice(0, eq).trim())) throw new ConfigReadError(file, start, `not a systemd "Key=Value" line: ${JSON.stringify(line.slice(0, 60))}`);
    if (!section) throw new ConfigReadError(file, start, 'setting before any [Section] header');
    out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: start });
  }
  return out;
}

/** `Environment="A=1" "B=2"` / `Environment=A=1` assignments, each with its line. */
export function environmentOf(entries: readonly UnitEntry[], file: string): Map<string, { value: string; line: number }> {
  const env = new Map<string, { value: string; line: number }>();
  for (const e of entries) {
    if (e.key !== 'Environment') continue;
    // An empty Environment= resets the list, as systemd does.
    if (e.value === '') {
      env.clear();
      continue;
    }
    const tokens = e.value.match(/"(?:[^"\\]|\\.)*"|'[^']*'|\S+/g) ?? [];
    for (const tok of tokens) {
      const kv = /^(["'])(.*)\1$/.exec(tok)?.[2] ?? tok;
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new ConfigReadError(file, e.line, `Environment assignment ${JSON.stringify(tok)} has no NAME=value`);
      env.set(kv.slice(0, eq), { value: kv.slice(eq + 1), line: e.line });
    }
  }
  return env;
}

export function readUnit(file: string): UnitEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigReadError(file, undefined, `cannot read: ${(err as Error).message}`);
  }
  return parseUnit(text, file);
}
