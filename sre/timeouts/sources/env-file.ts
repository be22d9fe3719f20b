/**
 * An environment file as systemd's EnvironmentFile= reads it: `KEY=value` lines, `#`/`;` comments,
 * optional quotes. Anything else is an error naming the file and line.
 */
import { readFileSync } from 'node:fs';
import { ConfigReadError } from './read-config.ts';

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigReadError(file, undefined, `cannot read: ${(err as Error).message}`);
  }
  return parseEnvText(text, file);
}

/** The same rules over text already read; `file` names it in errors. */
export function parseEnvText(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new ConfigReadError(file, i + 1, `not a KEY=value line: ${JSON.stringify(line.slice(0, 60))}`);
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  });
  return out;
}
