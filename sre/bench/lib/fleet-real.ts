/**
 * Session affinity measured on real engines: two Ollama servers (one slot each) behind one
 * origin, two Claude-Code-shaped sessions (a long system prompt and tools, each turn extending
 * the history, the CLI's session header) sent turn by turn side by side, the order of each pair
 * alternating. Without affinity, least-loaded routing sends each pair's first request to the
 * first idle engine and the second to the other, so a session's turns alternate engines and each
 * lands where the other session's prompt is cached; with affinity, each stays on its engine.
 * Per turn: the client's time to first token and the engine's own prompt evaluation time.
 */
import { REQUEST_ID_HEADER } from '../../../shared/headers.ts';
import { startOrigin, type RunningOrigin } from '../../../origin/node/server.ts';

export type FleetMode = 'affinity' | 'least-loaded';

export interface TurnRow {
  mode: FleetMode;
  session: number;
  turn: number;
  engine: string;
  /** Request sent to first content event, as the client saw it. */
  ttftMs: number;
  promptTokens: number;
  /** The engine's own prompt_eval_duration. */
  promptEvalMs: number;
  /** The share of the prompt the origin judged the engine found cached (origin/routing/engine-measures.ts), when it could judge. */
  reuse: number | undefined;
}

export interface FleetRealOptions {
  /** Base URLs of the two engines (Ollama, OLLAMA_NUM_PARALLEL=1). */
  engines: readonly [string, string];
  model: string;
  turns?: number;
  /** Repetitions of the CLI's instructions in the system prompt (its length). */
  systemRepeat?: number;
}

// The tiny model's tokens are about one character each and its context 2,048: a Claude Code
// prompt (~20,000 tokens) scaled down to ~1,000 tokens at the first turn, ~1,600 at the fifth.
const TOOLS = ['Read', 'Edit', 'Bash'].map((name) => ({
  name,
  description: `${name} in the working tree.`,
  input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
}));

const INSTRUCTIONS = 'You are an interactive coding agent. Read files before editing them, keep changes small, run the tests you touch, and explain what you changed. ';

/** The session's request for `turn` (1-based): system prompt and tools, then every earlier turn. */
function body(run: string, session: number, turn: number, model: string, systemRepeat: number): unknown {
  const messages: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (let t = 1; t <= turn; t++) {
    if (t > 1) messages.push({ role: 'assistant', content: `Done with step ${t - 1}; the tests pass.` });
    messages.push({ role: 'user', content: `Step ${t}: open src/module${t}.ts, find the function that parses dates and make it accept ISO weeks.` });
  }
  return {
    model,
    max_tokens: 8,
    stream: true,
    system: `Session ${run}-${session}. ${INSTRUCTIONS.repeat(systemRepeat)}`,
    tools: TOOLS,
    messages,
  };
}

/** Time to the first content event of an Anthropic stream (the end, for an empty answer). */
async function timedTurn(url: string, payload: unknown, sessionId: string): Promise<{ ttftMs: number; requestId: string }> {
  const start = performance.now();
  const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': sessionId }, body: JSON.stringify(payload) });
  if (res.status !== 200) throw new Error(`turn answered ${res.status}: ${await res.text()}`);
  const requestId = res.headers.get(REQUEST_ID_HEADER) ?? '';
  let ttftMs: number | undefined;
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (ttftMs === undefined && decoder.decode(chunk, { stream: true }).includes('content_block_delta')) ttftMs = performance.now() - start;
  }
  return { ttftMs: ttftMs ?? performance.now() - start, requestId };
}

async function runMode(mode: FleetMode, opts: Required<FleetRealOptions>): Promise<TurnRow[]> {
  const seen = new Map<string, { upstream: string; promptTokens: number; promptEvalMs: number }>();
  const reuse = new Map<string, number | undefined>();
  const origin: RunningOrigin = await startOrigin({
    env: {},
    overrides: {
      log: { level: 'silent' },
      server: { port: 0 },
      routing: { affinity: { enabled: mode === 'affinity' }, health: { intervalMs: 0 } },
      upstreams: opts.engines.map((url, i) => ({ name: `engine-${String.fromCharCode(97 + i)}`, url, models: [opts.model] })),
    },
    setup: (deps) => {
      deps.observers.add({
        onEnd: (rec) => {
          if (rec.upstream && rec.engine) seen.set(rec.requestId, { upstream: rec.upstream, promptTokens: rec.engine.promptTokens ?? 0, promptEvalMs: rec.engine.promptEvalMs ?? 0 });
        },
      });
      deps.router?.measures?.onMeasured((m) => reuse.set(m.requestId, m.reuse));
    },
  });
  const rows: TurnRow[] = [];
  // A fresh prefix per run: nothing cached by an earlier run counts.
  const run = `${mode}-${Date.now().toString(36)}`;
  const busy = () => origin.deps.registry.upstreams.reduce((n, u) => n + u.outstanding, 0);
  try {
    for (let turn = 1; turn <= opts.turns; turn++) {
      const order = turn % 2 === 1 ? [0, 1] : [1, 0];
      // Every slot handed back from the last pair: both engines look idle to routing.
      while (busy() > 0) await new Promise((r) => setTimeout(r, 2));
      const pending: Array<Promise<void>> = [];
      for (const session of order) {
        pending.push(
          timedTurn(origin.url, body(run, session, turn, opts.model, opts.systemRepeat), `${run}-${session}`).then(({ ttftMs, requestId }) => {
            const e = seen.get(requestId);
            if (!e) throw new Error(`no engine figures for request ${requestId}`);
            rows.push({ mode, session, turn, engine: e.upstream, ttftMs, promptTokens: e.promptTokens, promptEvalMs: e.promptEvalMs, reuse: reuse.get(requestId) });
          }),
        );
        // The second of the pair is sent once the first is on its engine, so least-loaded routing sends it to the other one.
        if (pending.length === 1) {
          const first = pending[0]!;
          let settled = false;
          void first.then(() => (settled = true), () => (settled = true));
          while (busy() === 0 && !settled) await new Promise((r) => setTimeout(r, 2));
        }
      }
      await Promise.all(pending);
    }
  } finally {
    await origin.close();
  }
  return rows.sort((a, b) => a.session - b.session || a.turn - b.turn);
}

/** Both modes, least-loaded first, against the same two engines. */
export async function runFleetReal(options: FleetRealOptions): Promise<TurnRow[]> {
  const opts: Required<FleetRealOptions> = { turns: 5, systemRepeat: 3, ...options };
  return [...(await runMode('least-loaded', opts)), ...(await runMode('affinity', opts))];
}
