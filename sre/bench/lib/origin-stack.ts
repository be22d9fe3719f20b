import { startOrigin, type RunningOrigin, type StartOptions } from '../../../origin/node/server.ts';
import { startSimulator, type SimOptions, type Simulator } from '../../../sim/index.ts';
import { deepMerge } from '../../../origin/config/load.ts';

export interface OriginStack {
  sim: Simulator;
  origin: RunningOrigin;
  close(): Promise<void>;
}

/**
 * A real simulator and a real origin on loopback ports. Models are preloaded so tests see
 * steady-state timing unless they ask for cold loads.
 */
export async function startOriginStack(
  opts: {
    sim?: Partial<SimOptions>;
    origin?: Record<string, unknown>;
    /** Settings of the one upstream (the simulator), e.g. `{ kind: 'openai' }` or timeouts. */
    upstream?: Record<string, unknown>;
    setup?: StartOptions['setup'];
  } = {},
): Promise<OriginStack> {
  const sim = await startSimulator({ preloaded: ['gpt-oss:20b', 'nomic-embed-text:latest', 'llama3.2:3b'], ...opts.sim });
  const base = { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: sim.url, ...opts.upstream }] };
  const origin = await startOrigin({ env: {}, overrides: deepMerge(base, opts.origin ?? {}), ...(opts.setup ? { setup: opts.setup } : {}) });
  return {
    sim,
    origin,
    async close() {
      await origin.close();
      await sim.close();
    },
  };
}

export interface TimedFrame {
  at: number;
  text: string;
}

/** Reads a response body, noting when each network chunk arrived (for incremental-arrival checks). */
export async function readTimed(res: Response): Promise<TimedFrame[]> {
  const out: TimedFrame[] = [];
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.push({ at: performance.now(), text: decoder.decode(value, { stream: true }) });
  }
  return out;
}

/** SSE events of a finished body: `{event, data}` in order, comments as `{comment}`. */
export function parseSse(text: string): Array<{ event?: string; data?: string; comment?: string }> {
  const events: Array<{ event?: string; data?: string; comment?: string }> = [];
  for (const block of text.split('\n\n')) {
    if (!block) continue;
    const ev: { event?: string; data?: string; comment?: string } = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) ev.comment = line.slice(1).trim();
      else if (line.startsWith('event: ')) ev.event = line.slice(7);
      else if (line.startsWith('data: ')) ev.data = (ev.data === undefined ? '' : ev.data + '\n') + line.slice(6);
    }
    events.push(ev);
  }
  return events;
}

export function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { method: 'POST', ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) }, body: JSON.stringify(body) });
}
