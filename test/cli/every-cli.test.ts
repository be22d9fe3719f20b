import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Every command line a user is told about answers `--help` with its usage (exit 0) and a flag it
 * does not know with one line (exit 2), never a stack trace. The list comes from package.json, so
 * a new npm script or bin is walked here without anyone adding it: a script is either a Puerta
 * command (`tsx <file>.ts`, or a shell entry named below) or one of the named wrappers of
 * another tool, and the first test fails for a script that is neither.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

/** Scripts whose flags are another tool's (vitest, tsc, the build scripts around esbuild and js-compute-runtime). */
const TOOL_WRAPPERS = new Set(['test', 'typecheck', 'build', 'edge:build', 'typecheck:edge-fastly', 'test:hostile']);
/** Scripts that reach a Puerta command line through a shell script: `npm start` runs scripts/start-stack.ts. */
const SHELL_ENTRIES = new Set(['start']);

const isTsCommand = (cmd: string) => /^tsx \S+\.ts$/.test(cmd);
const cliScripts = Object.keys(pkg.scripts).filter((name) => isTsCommand(pkg.scripts[name]!) || SHELL_ENTRIES.has(name));

const run = promisify(execFile);
interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
async function ran(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const STACK_FRAME = /^\s+at .+[:(]/m;
const UNKNOWN = '--no-such-flag';

/** What both checks demand of one command, run by `invoke` with the given flags. */
async function answersHelpAndUnknownFlags(invoke: (flags: string[]) => Promise<Ran>, mentions: string): Promise<void> {
  const help = await invoke(['--help']);
  expect(help.code, `--help exited ${help.code}\n${help.stdout}${help.stderr}`).toBe(0);
  expect(help.stdout).toMatch(/usage/i);
  expect(help.stdout).toContain(mentions);
  expect(help.stderr).toBe('');

  const bad = await invoke([UNKNOWN]);
  const said = (bad.stdout + bad.stderr).trim();
  expect(bad.code, `${UNKNOWN} exited ${bad.code}\n${said}`).toBe(2);
  expect(said.split('\n'), said).toHaveLength(1);
  expect(said).toContain(UNKNOWN);
  expect(said).not.toMatch(STACK_FRAME);
}

describe('every npm script that is a Puerta command line', () => {
  it('is walked here: each script is a command line (tsx <file>.ts or a shell entry) or a named tool wrapper', () => {
    const unclassified = Object.keys(pkg.scripts).filter((name) => !cliScripts.includes(name) && !TOOL_WRAPPERS.has(name));
    expect(unclassified).toEqual([]);
    for (const name of TOOL_WRAPPERS) expect(isTsCommand(pkg.scripts[name] ?? 'tsx x.ts'), name).toBe(false);
    expect(cliScripts).toEqual(expect.arrayContaining(['tenants', 'usage', 'audit', 'ingest', 'sim', 'bench', 'bench:relay', 'check:timeouts', 'check:infra', 'origin', 'start']));
  });

  // `npm run --silent`: what a user types, minus npm's banner, so only the command's own words are checked.
  it.each(cliScripts)('npm run %s -- --help / --no-such-flag', async (name) => {
    const usageLine = name === 'start' ? 'npm start' : `npm run ${name}`;
    await answersHelpAndUnknownFlags((flags) => ran('npm', ['run', '--silent', name, '--', ...flags]), usageLine);
  }, 120_000);
});

describe('the built puerta-* bins (npm run build)', () => {
  const bins = Object.keys(pkg.bin);
  let linkDir: string;
  beforeAll(async () => {
    await run('bash', ['scripts/build.sh'], { cwd: ROOT, timeout: 120_000 });
    // As npm installs a bin: a link named for the command, pointing at the built file.
    linkDir = mkdtempSync(join(tmpdir(), 'puerta-bins-'));
    for (const b of bins) symlinkSync(join(ROOT, pkg.bin[b]!), join(linkDir, b));
  }, 180_000);

  it.each(bins)('%s --help / --no-such-flag', async (bin) => {
    // Only node itself on PATH besides the system: no tsx, as in production.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };
    await answersHelpAndUnknownFlags((flags) => ran(join(linkDir, bin), flags, env), bin);
  }, 60_000);
});
