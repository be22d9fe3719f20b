/**
 * `npm run bench:fleet-real`: session affinity measured on real engines. Two local Ollama
 * servers (the cached build, the tiny chat model, one slot each) behind one origin; two
 * Claude-Code-shaped sessions of five turns side by side, with affinity and without (least
 * loaded). Per turn: the engine that served it, the client's time to first token, and the
 * engine's own prompt_eval_count and prompt_eval_duration. Figures, not pass/fail
 * (test/real-ollama/fleet-affinity.timing.test.ts asserts the conditions).
 *
 *   npm run bench:fleet-real -- [--turns 5]
 */
import { cliArgs } from '../../../shared/cli.ts';
import { startLocalOllama, tinyModels } from '../../../infra/ollama-local/index.ts';
import { runFleetReal } from '../lib/fleet-real.ts';
import { fmtMs, printTable } from '../lib/stats.ts';

const USAGE = `usage: npm run bench:fleet-real -- [--turns 5]

  two real Ollama servers behind one origin, two agent sessions side by side: per turn, the
  engine, time to first token and the engine's prompt evaluation, with session affinity and
  without; figures, not pass/fail

  --turns N   turns per session (default 5; the tiny model's context holds about 6)
  --help      this text`;

const { values } = cliArgs({ name: 'bench:fleet-real', usage: USAGE, options: { turns: { type: 'string', default: '5' } } });
const engines = await Promise.all([startLocalOllama({ numParallel: 1 }), startLocalOllama({ numParallel: 1 })]);
try {
  // Loaded first: no turn pays for the model load.
  await Promise.all(engines.map((e) => fetch(`${e.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: tinyModels.chat }) }).then((r) => r.text())));
  const rows = await runFleetReal({ engines: [engines[0]!.url, engines[1]!.url], model: tinyModels.chat, turns: Number(values.turns) });
  console.log(`\nbench:fleet-real — two Ollama servers (${tinyModels.chat}, one slot each), two sessions side by side\n`);
  printTable(
    ['routing', 'session', 'turn', 'engine', 'TTFT ms', 'prompt tokens', 'prompt eval ms', 'judged reuse'],
    rows.map((r) => [r.mode, r.session, r.turn, r.engine, fmtMs(r.ttftMs), r.promptTokens, fmtMs(r.promptEvalMs), r.reuse === undefined ? '–' : `${Math.round(r.reuse * 100)} %`]),
  );
  const later = (mode: string) => rows.filter((r) => r.mode === mode && r.turn > 1);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log('');
  printTable(
    ['routing', 'turns 2+ prompt eval ms (sum)', 'turns 2+ TTFT ms (mean)'],
    ['least-loaded', 'affinity'].map((m) => [m, fmtMs(sum(later(m).map((r) => r.promptEvalMs))), fmtMs(sum(later(m).map((r) => r.ttftMs)) / Math.max(1, later(m).length))]),
  );
} finally {
  await Promise.all(engines.map((e) => e.stop()));
}
