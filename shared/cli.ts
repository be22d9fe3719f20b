/**
 * How every Puerta command line reads its flags (the npm scripts: tenants, usage, audit, ingest,
 * sim, bench*, check:*, origin, start; and the built puerta-* bins): node:util parseArgs, strict,
 * plus the two answers each owes a user. `--help` (or `-h`) prints its usage and exits 0; a flag
 * it does not know, or one missing its value, is one line on stderr and exit 2, never a stack
 * trace. Node only: the edge never imports it.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface CliSpec<O extends ParseArgsOptionsConfig> {
  /** The command's name as its messages start (`tenants: …`). */
  name: string;
  /** What `--help` prints. */
  usage: string;
  options: O;
  /** Operands after the flags (file names, a sub-command); refused when false (the default). */
  allowPositionals?: boolean;
}

export type CliValues<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>['values'];

/** What the command line asked for: to run, its usage, or nothing it could understand. */
export type CliRequest<O extends ParseArgsOptionsConfig> =
  | { kind: 'run'; values: CliValues<O>; positionals: string[] }
  | { kind: 'help'; usage: string }
  | { kind: 'bad-usage'; problem: string; line: string };

/** The exit status for a command line a command could not understand (as getopt and argparse tools use). */
export const BAD_USAGE_EXIT = 2;

/** `--help`/`-h` anywhere before a `--` terminator: asked for usage, whatever else was typed. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** What parseArgs found wrong, as one clause: its first sentence (the rest is advice about shells). */
function problemOf(err: Error): string {
  const first = err.message.split(/\.\s/)[0]!.replace(/\.$/, '');
  return `${first.charAt(0).toLowerCase()}${first.slice(1)}`;
}

/** The one line a command prints for usage it cannot run: `tenants: unknown option '--x' (--help for usage)`. */
export function badUsageLine(name: string, problem: string): string {
  return `${name}: ${problem} (--help for usage)`;
}

/** Reads `argv` for `spec`; never exits, so commands that run in tests in-process can use it too. */
export function readCli<O extends ParseArgsOptionsConfig>(spec: CliSpec<O>, argv: readonly string[]): CliRequest<O> {
  if (asksForHelp(argv)) return { kind: 'help', usage: spec.usage };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: spec.options, strict: true, allowPositionals: spec.allowPositionals ?? false });
    return { kind: 'run', values: values as CliValues<O>, positionals };
  } catch (err) {
    // parseArgs's own refusals carry ERR_PARSE_ARGS_* codes; anything else is a bug in the spec.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw err;
    const problem = problemOf(err as Error);
    return { kind: 'bad-usage', problem, line: badUsageLine(spec.name, problem) };
  }
}

/** Prints one line to stderr and exits 2: for usage a command finds wrong after parsing, too. */
export function exitBadUsage(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(BAD_USAGE_EXIT);
}

/** Reads the process's own flags; answers `--help` (exit 0) and bad usage (exit 2) itself. */
export function cliArgs<O extends ParseArgsOptionsConfig>(spec: CliSpec<O>, argv: readonly string[] = process.argv.slice(2)): { values: CliValues<O>; positionals: string[] } {
  const r = readCli(spec, argv);
  if (r.kind === 'help') {
    process.stdout.write(r.usage.endsWith('\n') ? r.usage : `${r.usage}\n`);
    process.exit(0);
  }
  if (r.kind === 'bad-usage') exitBadUsage(r.line);
  return { values: r.values, positionals: r.positionals };
}
