/**
 * `npm run bench:footprint`: what production's built origin costs at rest against the
 * development path (tsx): start time (spawn to the first /healthz) and idle resident memory,
 * medians of alternating runs in front of one simulator. Figures, not pass/fail.
 *
 *   npm run bench:footprint -- [--runs 3]
 */
import { originFootprints } from '../lib/footprint.ts';
import { freePort, startTsProcess } from '../lib/processes.ts';
import { fmtMs, printTable } from '../lib/stats.ts';
import { cliArgs } from '../../../shared/cli.ts';

const USAGE = `usage: npm run bench:footprint -- [--runs 3]

  start time and idle RSS of the built origin (production) vs tsx (development), medians of
  alternating runs; figures, not pass/fail

  --runs N    runs of each (default 3)
  --help      this text`;

const { values } = cliArgs({ name: 'bench:footprint', usage: USAGE, options: { runs: { type: 'string', default: '3' } } });
const MODEL = 'gpt-oss:20b';
const sim = await startTsProcess('sre/bench/lib/sim-process.ts', [JSON.stringify({ port: await freePort(), preloaded: [MODEL] })], {}, (l) => /^SIM_URL (\S+)/.exec(l)?.[1]);
try {
  const rows = await originFootprints({ OLLAMA_URL: sim.url, UPSTREAM_MODELS: MODEL }, Number(values.runs));
  const built = rows.find((r) => r.runtime === 'built')!;
  console.log(`\nbench:footprint — origin at rest, median of ${values.runs} alternating runs\n`);
  printTable(
    ['runtime', 'command', 'start ms', 'idle RSS MiB', 'RSS ratio to built'],
    rows.map((r) => [
      r.runtime,
      r.runtime === 'built' ? 'node dist/origin/main.js' : 'node --import tsx origin/node/main.ts',
      fmtMs(r.startMs),
      r.idleRssMiB.toFixed(1),
      (r.idleRssMiB / built.idleRssMiB).toFixed(2),
    ]),
  );
} finally {
  await sim.stop();
}
