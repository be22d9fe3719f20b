/**
 * Checks the origin's configuration against the engine's deployment files:
 *   infra/ollama/ollama.service.d/override.conf   (the engine's environment)
 *   infra/ollama/Modelfile.*                     (the served models)
 *   infra/origin/origin.env.example (or --env FILE) and an optional --config origin JSON
 * and says what to change. `npm run check:infra [-- --env /etc/puerta/origin.env --config …]`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOriginConfig } from '../origin/config/load.ts';
import { cliArgs } from '../shared/cli.ts';
import { parseEnvText, readEnvFile } from '../sre/timeouts/sources/env-file.ts';

/**
 * The non-comment lines of a config file, each with the `#` comment lines right above it (every
 * tuned setting must say why). Whether a blank line ends a comment is the file format's choice.
 */
function* linesWithComments(text: string, blankEndsComment: boolean): Generator<{ line: string; comment: string }> {
  let comment: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, ''));
      continue;
    }
    yield { line, comment: comment.join(' ') };
    if (line || blankEndsComment) comment = [];
  }
}

/** `Environment="KEY=value"` lines of a systemd unit or drop-in, with the comment above each. */
export function parseSystemdEnvironment(text: string): Map<string, { value: string; comment: string }> {
  const out = new Map<string, { value: string; comment: string }>();
  for (const { line, comment } of linesWithComments(text, true)) {
    const m = /^Environment=(?:"([^"]*)"|(\S+))$/.exec(line);
    if (m) {
      const kv = (m[1] ?? m[2])!;
      const eq = kv.indexOf('=');
      out.set(kv.slice(0, eq), { value: kv.slice(eq + 1), comment });
    }
  }
  return out;
}

/** KEY=value lines of an environment file, read as systemd's EnvironmentFile= does (a malformed line is an error with its line). */
export function parseEnvFile(text: string, file = 'environment file'): Record<string, string> {
  return parseEnvText(text, file);
}

export interface Modelfile {
  from: string;
  params: Map<string, { value: string; comment: string }>;
}

export function parseModelfile(text: string): Modelfile {
  const mf: Modelfile = { from: '', params: new Map() };
  for (const { line, comment } of linesWithComments(text, false)) {
    const from = /^FROM\s+(\S+)/i.exec(line);
    if (from) mf.from = from[1]!;
    const p = /^PARAMETER\s+(\S+)\s+(.+)$/i.exec(line);
    if (p) mf.params.set(p[1]!, { value: p[2]!.trim(), comment });
  }
  return mf;
}

export interface CheckInput {
  overrideText: string;
  modelfiles: Record<string, string>;
  originEnv: Record<string, string>;
  originConfigFile?: string;
}

/** Every mismatch between the engine's settings and the origin's, each with what to change. */
export function checkDeployment(input: CheckInput): string[] {
  const problems: string[] = [];
  const engine = parseSystemdEnvironment(input.overrideText);
  const need = ['OLLAMA_NUM_PARALLEL', 'OLLAMA_FLASH_ATTENTION', 'OLLAMA_KV_CACHE_TYPE', 'OLLAMA_KEEP_ALIVE', 'OLLAMA_MAX_LOADED_MODELS', 'OLLAMA_GPU_OVERHEAD', 'OLLAMA_LOAD_TIMEOUT'];
  for (const k of need) if (!engine.has(k)) problems.push(`override.conf: ${k} is not set; it is one of the tuned settings (see the README's deployment section)`);
  for (const [k, v] of engine) if (v.comment.length < 20) problems.push(`override.conf: ${k}=${v.value} has no comment saying why`);

  const parallel = Number(engine.get('OLLAMA_NUM_PARALLEL')?.value);
  const kv = engine.get('OLLAMA_KV_CACHE_TYPE')?.value;
  if (kv && kv !== 'f16' && engine.get('OLLAMA_FLASH_ATTENTION')?.value !== '1') {
    problems.push(`override.conf: OLLAMA_KV_CACHE_TYPE=${kv} needs OLLAMA_FLASH_ATTENTION=1 (Ollama silently falls back to f16 without it)`);
  }

  // The origin's configuration exactly as it would load (env file + optional JSON file).
  const env = { ...input.originEnv };
  let cfg;
  try {
    cfg = loadOriginConfig({ env, ...(input.originConfigFile ? { file: input.originConfigFile } : {}) });
  } catch (err) {
    problems.push(`origin configuration does not load: ${(err as Error).message}`);
    return problems;
  }
  if (Number.isFinite(parallel)) {
    if (cfg.admission.defaultSlots !== parallel) {
      problems.push(`origin admission slots ${cfg.admission.defaultSlots} != engine OLLAMA_NUM_PARALLEL ${parallel}: set OLLAMA_NUM_PARALLEL=${parallel} in the origin's environment (admission.defaultSlots)`);
    }
    for (const [model, slots] of Object.entries(cfg.admission.slots)) {
      if (slots > parallel) problems.push(`origin admission.slots["${model}"] = ${slots} exceeds the engine's OLLAMA_NUM_PARALLEL ${parallel}: the engine would queue the rest unbounded`);
    }
  }
  const engineKeepAlive = engine.get('OLLAMA_KEEP_ALIVE')?.value;
  for (const u of cfg.upstreams) {
    if (u.kind !== 'ollama') continue;
    if (engineKeepAlive && u.keepAlive !== undefined && String(u.keepAlive) !== engineKeepAlive) {
      problems.push(`origin upstream '${u.name}' sends keep_alive ${u.keepAlive} but the engine's OLLAMA_KEEP_ALIVE is ${engineKeepAlive}: use one value (OLLAMA_KEEP_ALIVE in both files)`);
    }
  }

  const maxLoaded = Number(engine.get('OLLAMA_MAX_LOADED_MODELS')?.value);
  const names = Object.keys(input.modelfiles);
  if (Number.isFinite(maxLoaded) && names.length > maxLoaded) {
    problems.push(`${names.length} Modelfiles but OLLAMA_MAX_LOADED_MODELS=${maxLoaded}: they would evict each other`);
  }
  for (const [file, text] of Object.entries(input.modelfiles)) {
    const mf = parseModelfile(text);
    if (!mf.from) problems.push(`${file}: no FROM line`);
    const ctx = mf.params.get('num_ctx');
    if (!ctx) problems.push(`${file}: no PARAMETER num_ctx (each model sets a reduced context; the default reserves KV cache for the model's full window in every slot)`);
    else if (!Number.isInteger(Number(ctx.value)) || Number(ctx.value) <= 0) problems.push(`${file}: num_ctx ${ctx.value} is not a positive integer`);
    for (const [k, v] of mf.params) if (v.comment.length < 20) problems.push(`${file}: PARAMETER ${k} ${v.value} has no comment saying why`);
  }
  return problems;
}

/**
 * The repository's own files (or others given on the command line). Without --env the shipped
 * example is checked with the shipped JSON config beside it, whatever path the example names
 * for where that file goes once installed.
 */
export function loadInput(root: string, envFile?: string, configFile?: string): CheckInput {
  const dir = join(root, 'infra', 'ollama');
  configFile ??= envFile ? undefined : join(root, 'infra', 'origin', 'origin.json');
  const modelfiles: Record<string, string> = {};
  for (const n of readdirSync(dir).filter((x) => x.startsWith('Modelfile'))) modelfiles[n] = readFileSync(join(dir, n), 'utf8');
  return {
    overrideText: readFileSync(join(dir, 'ollama.service.d', 'override.conf'), 'utf8'),
    modelfiles,
    originEnv: readEnvFile(envFile ?? join(root, 'infra', 'origin', 'origin.env.example')),
    ...(configFile ? { originConfigFile: configFile } : {}),
  };
}

const USAGE = `usage: npm run check:infra -- [--env FILE] [--config FILE]

  checks the origin's settings against the engine's deployment files (infra/ollama: the systemd
  override and the Modelfiles) and says what to change; exit 1 when something does not match

  --env FILE      the origin's environment file (default infra/origin/origin.env.example)
  --config FILE   the origin's JSON config
  --help          this text`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = cliArgs({ name: 'check:infra', usage: USAGE, options: { env: { type: 'string' }, config: { type: 'string' } } });
  const root = join(fileURLToPath(import.meta.url), '..', '..');
  const problems = checkDeployment(loadInput(root, values.env, values.config));
  if (problems.length === 0) {
    process.stdout.write('infra check: the origin matches the engine (slots = OLLAMA_NUM_PARALLEL, keep-alive, Modelfiles, comments)\n');
  } else {
    process.stdout.write(`infra check: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}
