import type { Socket } from 'node:net';
import type { Env } from './lifecycle.ts';
import { defaultOptions } from './presets.ts';
import { Scheduler } from './scheduler.ts';
import { createSimServer } from './server.ts';
import { StatsStore } from './stats.ts';
import { mulberry32 } from './text.ts';
import { VllmMetrics } from './vllm-metrics.ts';
import type { SimOptions, Simulator } from './types.ts';

export * from './types.ts';
export { presets, defaultOptions, defaultModels } from './presets.ts';
export type { PresetName } from './presets.ts';

/** Starts an Ollama stand-in on 127.0.0.1 (random port unless given). */
export async function startSimulator(opts: Partial<SimOptions> = {}): Promise<Simulator> {
  const options: SimOptions = { ...defaultOptions(), ...opts };
  const stats = new StatsStore(options.models.map((m) => m.name));
  const env: Env = { opts: options, sched: new Scheduler(options, stats), stats, rnd: mulberry32(options.seed), seq: 0, firedOnce: new Set() };
  if (options.persona === 'vllm') env.vllm = new VllmMetrics(() => env.opts.models, stats);
  const server = createSimServer(env);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept backlog: load tests open ~1000 connections at once, and a full backlog costs a 1 s SYN retry.
    server.listen({ port: options.port, host: options.host, backlog: 4096 }, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setOptions(patch) {
      Object.assign(env.opts, patch);
      if (patch.seed !== undefined) env.rnd = mulberry32(patch.seed);
      env.sched.setOptions(env.opts);
    },
    close: () =>
      new Promise<void>((resolve) => {
        env.sched.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

