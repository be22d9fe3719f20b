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
    /** The origin's logger (default: from its config, silent here). */
    logger?: StartOptions['logger'];
  } = {},
): Promise<OriginStack> {
  const sim = await startSimulator({ preloaded: ['gpt-oss:20b', 'nomic-embed-text:latest', 'llama3.2:3b'], ...opts.sim });
  const base = { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: sim.url, ...opts.upstream }] };
  const origin = await startOrigin({ env: {}, overrides: deepMerge(base, opts.origin ?? {}), ...(opts.setup ? { setup: opts.setup } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
  return {
    sim,
    origin,
    async close() {
      await origin.close();
      await sim.close();
    },
  };
}
