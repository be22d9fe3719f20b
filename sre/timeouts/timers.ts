/**
 * Every timer of the path, listed with where its value came from, so an SRE sees the whole chain
 * (and which values are defaults nobody chose) before reading what the rules say about it.
 */
import { isAbsolute, relative } from 'node:path';
import { z } from 'zod';

/** A file and the field in it, an environment variable, or the code default nobody overrode. */
export type TimerSource = { file: string; field: string } | { env: string } | { default: string };

/** Paths under the working directory are shown relative to it, as an operator would type them. */
export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function describeSource(s: TimerSource): string {
  if ('file' in s) return `${shownPath(s.file)} ${s.field}`;
  if ('env' in s) return `environment ${s.env}`;
  return `default (${s.default})`;
}

export const timerSchema = z.object({
  /** client → edge, edge → origin, client → origin, origin, origin → upstream, upstream. */
  hop: z.string().min(1),
  /** The setting as the operator writes it. */
  setting: z.string().min(1),
  valueMs: z.number().int().nonnegative(),
  /** What it bounds, in a few words. */
  bounds: z.string(),
  source: z.string(),
});
export type Timer = z.infer<typeof timerSchema>;
