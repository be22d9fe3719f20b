/**
 * `npm run bench:fleet`: a fleet of simulated engines at DGX Spark speed (the gpt-oss-20b
 * preset: 2,050 prefill tok/s, 50 decode tok/s, 4 slots, prefix reuse per slot as Ollama's
 * runner keeps it) behind one origin, and coding-agent sessions on it: ~20,000 tokens of system
 * prompt and tools, each turn appending a few hundred. The same sessions run twice, against a
 * fresh fleet each time: with `routing.affinity.enabled` (a session's turns follow the engine that
 * holds its prefix) and without it (least loaded). Prints agent-turn TTFT p50/p95/p99 and the
 * prompt tokens the engines actually computed.
 *
 * Time runs `timeScale` times faster than on the hardware; every figure printed is converted back
 * to simulated (hardware) time. Loopback only, in one process.
 *
 *   npm run bench:fleet -- [--engines 4] [--sessions 40] [--turns 10] [--time-scale 0.1]
 */
import pino from 'pino';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { cliArgs, exitBadUsage, badUsageLine } from '../../../shared/cli.ts';
import { startOrigin } from '../../../origin/node/server.ts';
import { startSimulator, type Simulator } from '../../../sim/index.ts';
import { presets } from '../../../sim/presets.ts';
import { chatChain } from '../../../sim/prompt-chain.ts';
import { agentTools, AgentSession, claudeCodeShape, sharedInstructions, type AgentShape } from '../lib/agent-session.ts';
import { percentile, printTable, sortedCopy } from '../lib/stats.ts';

const USAGE = `usage: npm run bench:fleet -- [flags]

  coding-agent sessions on a fleet of simulated Spark engines behind one origin, with session
  affinity and least-loaded routing: agent-turn TTFT p50/p95/p99 and prompt tokens computed

  --engines N       simulated engines serving the model (default 4)
  --sessions N      concurrent agent sessions (default 40)
  --turns N         turns per session (default 10)
  --slots N         parallel slots per engine, OLLAMA_NUM_PARALLEL (default 12)
  --cache MODE      the engines' prompt cache: multi-user (OLLAMA_MULTIUSER_CACHE=1, default) or
                    single-user (Ollama's default: a new conversation overwrites the slot that
                    shares the most with it, its system prompt, so agents evict each other)
  --think-s S       simulated seconds an agent spends between turns (running tools; default 4)
  --ramp-s S        sessions start spread over this many simulated seconds (default 120)
  --time-scale X    engine time scale (default 0.1: ten times faster than the hardware)
  --modes LIST      affinity,least-loaded (default both, in that order)
  --help            this text`;

const MODEL = 'gpt-oss:20b';
const modeNames = ['affinity', 'least-loaded'] as const;
type Mode = (typeof modeNames)[number];

const flags = z.object({
  engines: z.coerce.number().int().min(1).max(64),
  sessions: z.coerce.number().int().min(1).max(2000),
  turns: z.coerce.number().int().min(1).max(1000),
  slots: z.coerce.number().int().min(1).max(256),
  cache: z.enum(['multi-user', 'single-user']),
  'think-s': z.coerce.number().min(0),
  'ramp-s': z.coerce.number().min(0),
  'time-scale': z.coerce.number().gt(0).max(10),
  modes: z.string().transform((s, ctx) => {
    const list = s.split(',').map((m) => m.trim());
    const bad = list.find((m) => !(modeNames as readonly string[]).includes(m));
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `unknown mode "${bad}" (allowed: ${modeNames.join(', ')})` });
    return list as Mode[];
  }),
});
type Flags = z.infer<typeof flags>;

function readFlags(): Flags {
  const { values } = cliArgs({
    name: 'bench:fleet',
    usage: USAGE,
    options: {
      engines: { type: 'string', default: '4' },
      sessions: { type: 'string', default: '40' },
      turns: { type: 'string', default: '10' },
      slots: { type: 'string', default: '12' },
      cache: { type: 'string', default: 'multi-user' },
      'think-s': { type: 'string', default: '4' },
      'ramp-s': { type: 'string', default: '120' },
      'time-scale': { type: 'string', default: '0.1' },
      modes: { type: 'string', default: modeNames.join(',') },
    },
  });
  const r = flags.safeParse(values);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  const name = String(i.path[0] ?? '?');
  return exitBadUsage(badUsageLine('bench:fleet', `--${name} ${JSON.stringify((values as Record<string, unknown>)[name])}: ${i.message}`));
}

interface Result {
  mode: Mode;
  /** Simulated ms: each session's first turn (cold anywhere), and every turn after it. */
  firstTtftMs: number[];
  ttftMs: number[];
  turnsOk: number;
  errors: number;
  promptTokens: number;
  prefillTokens: number;
  /** Requests each engine served, in engine order. */
  perEngine: number[];
  wallS: number;
}

const agent = new Agent({ connections: 4096, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One turn, streamed: TTFT (real ms) and the answer text, or an error. */
async function turn(url: string, session: AgentSession, tools: unknown[]): Promise<{ ttftMs: number; text: string } | { error: string }> {
  const t0 = performance.now();
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    // Claude Code names its conversation in this header on every turn.
    headers: { 'content-type': 'application/json', 'x-claude-code-session-id': `bench-session-${session.id}` },
    body: JSON.stringify({ model: MODEL, stream: true, messages: session.next(), tools }),
  });
  if (res.statusCode !== 200) {
    await res.body.text();
    return { error: `HTTP ${res.statusCode}` };
  }
  let ttftMs = NaN;
  let text = '';
  let buf = '';
  for await (const chunk of res.body) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const delta = (JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content;
      if (!delta) continue;
      if (Number.isNaN(ttftMs)) ttftMs = performance.now() - t0;
      text += delta;
    }
  }
  return Number.isNaN(ttftMs) ? { error: 'no content' } : { ttftMs, text };
}

async function run(mode: Mode, f: Flags, shape: AgentShape): Promise<Result> {
  const ts = f['time-scale'];
  const real = (simMs: number) => simMs * ts;
  // Prefill takes the whole GPU (its 2,050 tok/s are the box's, shared by concurrent prompts).
  const model = { ...presets['gpt-oss-20b'], numParallel: f.slots, embeddingDim: 64, prefillComputeWeight: 1 };
  const sims: Simulator[] = [];
  for (let i = 0; i < f.engines; i++) sims.push(await startSimulator({ timeScale: ts, models: [model], preloaded: [MODEL], seed: i + 1, multiUserCache: f.cache === 'multi-user' }));
  const origin = await startOrigin({
    env: {},
    logger: pino({ level: 'silent' }),
    overrides: {
      server: { port: 0 },
      upstreams: sims.map((s, i) => ({ name: `spark-${i + 1}`, url: s.url, models: [MODEL] })),
      admission: { mode: 'queue', defaultSlots: f.slots, queueWaitMs: Math.ceil(real(600_000)), maxQueue: 4096 },
      stream: { keepaliveMs: Math.ceil(real(15_000)) },
      routing: { affinity: { enabled: mode === 'affinity' }, health: { intervalMs: 0 } },
    },
  });
  const tools = agentTools(shape);
  const shared = sharedInstructions(shape);
  const out: Result = { mode, firstTtftMs: [], ttftMs: [], turnsOk: 0, errors: 0, promptTokens: 0, prefillTokens: 0, perEngine: [], wallS: 0 };
  const t0 = Date.now();
  try {
    await Promise.all(
      Array.from({ length: f.sessions }, async (_, id) => {
        const session = new AgentSession(id, shape, shared);
        // Sessions start spread over the ramp, as people start their agents.
        await sleep(real((id / f.sessions) * f['ramp-s'] * 1000));
        for (let t = 0; t < f.turns; t++) {
          const r = await turn(origin.url, session, tools).catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
          if ('error' in r) {
            out.errors++;
            session.answered('');
          } else {
            out.turnsOk++;
            (t === 0 ? out.firstTtftMs : out.ttftMs).push(r.ttftMs / ts);
            session.answered(r.text);
          }
          await sleep(real(f['think-s'] * 1000));
        }
      }),
    );
  } finally {
    out.wallS = (Date.now() - t0) / 1000;
    for (const s of sims) {
      const m = s.stats().models[MODEL];
      out.promptTokens += m?.promptTokens ?? 0;
      out.prefillTokens += m?.prefillTokens ?? 0;
      out.perEngine.push(m?.completed ?? 0);
    }
    await origin.close();
    for (const s of sims) await s.close();
  }
  return out;
}

const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const thousands = (n: number) => `${(n / 1000).toFixed(0)}k`;

function row(r: Result): Array<string | number> {
  const t = sortedCopy(r.ttftMs);
  const reused = r.promptTokens ? `${(((r.promptTokens - r.prefillTokens) / r.promptTokens) * 100).toFixed(0)}%` : '-';
  return [r.mode, `${r.turnsOk}/${r.turnsOk + r.errors}`, seconds(percentile(sortedCopy(r.firstTtftMs), 50)), seconds(percentile(t, 50)), seconds(percentile(t, 95)), seconds(percentile(t, 99)), thousands(r.prefillTokens), thousands(r.promptTokens), reused, r.perEngine.join('/'), `${r.wallS.toFixed(0)} s`];
}

async function main(): Promise<void> {
  const f = readFlags();
  const shape = claudeCodeShape;
  const first = new AgentSession(0, shape, sharedInstructions(shape)).next();
  const firstTokens = chatChain(first, agentTools(shape)).tokens;
  console.log(
    `fleet: ${f.engines} simulated engines (${MODEL} at Spark speed, ${f.slots} slots each, ${f.cache} prompt cache) behind one origin; ` +
      `${f.sessions} agent sessions x ${f.turns} turns, first turn ${firstTokens.toLocaleString('en')} prompt tokens, ~${shape.turnWords + shape.answerTokens + 8} more each turn, ` +
      `${f['think-s']} s between turns, starts spread over ${f['ramp-s']} s; time scale ${f['time-scale']}`,
  );
  const results: Result[] = [];
  for (const mode of f.modes) results.push(await run(mode, f, shape));
  console.log('\nfigures in simulated (hardware) time:');
  printTable(['routing', 'turns ok', 'first turn TTFT p50', 'next turns TTFT p50', 'p95', 'p99', 'prefill tokens computed', 'prompt tokens', 'reused from cache', 'turns per engine', 'wall'], results.map(row));
  const [a, l] = [results.find((r) => r.mode === 'affinity'), results.find((r) => r.mode === 'least-loaded')];
  if (a && l) {
    const ratio = percentile(sortedCopy(a.ttftMs), 95) / percentile(sortedCopy(l.ttftMs), 95);
    console.log(`\nnext-turn TTFT p95, affinity / least-loaded: ${ratio.toFixed(2)} (goal: at most 0.5)`);
  }
  await agent.close();
  if (results.some((r) => r.errors > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
