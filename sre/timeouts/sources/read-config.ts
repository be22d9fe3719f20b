/**
 * Reading the deployment's config files for the checker with real parsers (smol-toml, jsonc-parser).
 * A file the checker cannot read stops the check with the file and line: a check that quietly
 * fell back to defaults would pass on a config it never saw.
 */
import { readFileSync } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parse as parseToml, TomlError } from 'smol-toml';
import { shownPath } from '../timers.ts';

export class ConfigReadError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${shownPath(file)}${line !== undefined ? `:${line}` : ''}: ${detail}`);
    this.name = 'ConfigReadError';
  }
}

export type Table = Record<string, unknown>;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigReadError(file, undefined, `cannot read: ${(err as Error).message}`);
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function readToml(file: string): Table {
  try {
    return parseToml(readText(file)) as Table;
  } catch (err) {
    if (err instanceof TomlError) throw new ConfigReadError(file, err.line, `not valid TOML: ${err.message.split('\n')[0]}`);
    throw err;
  }
}

/** JSON with comments and trailing commas (wrangler.jsonc); `strict` for files their reader takes as plain JSON. */
export function readJsonc(file: string, opts: { strict?: boolean } = {}): Table {
  const text = readText(file);
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: !opts.strict, disallowComments: opts.strict === true }) as unknown;
  const first = errors[0];
  if (first) throw new ConfigReadError(file, lineAt(text, first.offset), `not valid JSON(C): ${printParseErrorCode(first.error)}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigReadError(file, 1, 'expected an object at the top level');
  return value as Table;
}

export const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** The table at `path`, undefined when absent; an error naming the field when something else is there. */
export function tableAt(root: Table, path: readonly string[], file: string): Table | undefined {
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    if (cur === undefined) return undefined;
    if (!isTable(cur)) throw new ConfigReadError(file, undefined, `${path.slice(0, i).join('.')} should be a table`);
    cur = cur[path[i]!];
  }
  if (cur !== undefined && !isTable(cur)) throw new ConfigReadError(file, undefined, `${path.join('.')} should be a table`);
  return cur;
}
