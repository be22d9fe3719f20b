/**
 * `npm start`: the whole local stack with demo defaults. Without OLLAMA_URL the Ollama simulator
 * stands in for the GPU box (models preloaded, real-time speed of a DGX Spark). Prints where to
 * send requests. Ctrl-C stops everything it started.
 *
 * Environment: OLLAMA_URL (a real Ollama), ORIGIN_PORT (default 8080), SIM_PORT (default 11435).
 * The edge runs in front (Viceroy when built, else workerd; EDGE_RUNTIME=fastly|workers, EDGE_PORT
 * default 7676, EDGE=off to skip it); the origin then accepts only edge-signed requests.
 */
import { startOrigin, type RunningOrigin } from '../origin/node/server.ts';
import { startSimulator, type Simulator } from '../sim/index.ts';
import { localRuntime, localSigningSecret, prepareDemoTenant, startLocalEdge } from '../edge/local/index.ts';

interface Part {
  name: string;
  stop(): Promise<void>;
}

const parts: Part[] = [];

async function stopAll(code: number): Promise<never> {
  for (const p of parts.reverse()) {
    try {
      await p.stop();
    } catch (err) {
      console.error(`stopping ${p.name}: ${(err as Error).message}`);
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  let upstreamUrl = process.env.OLLAMA_URL;
  let sim: Simulator | undefined;
  if (!upstreamUrl) {
    sim = await startSimulator({ port: Number(process.env.SIM_PORT ?? 11435), preloaded: ['gpt-oss:20b', 'nomic-embed-text:latest', 'llama3.2:3b'] });
    parts.push({ name: 'simulator', stop: () => sim!.close() });
    upstreamUrl = sim.url;
  }
  const withEdge = process.env.EDGE !== 'off';
  const edgeSecret = withEdge ? localSigningSecret() : undefined;
  const demo = withEdge ? await prepareDemoTenant() : undefined;
  const origin: RunningOrigin = await startOrigin({
    env: { ...process.env, OLLAMA_URL: upstreamUrl },
    overrides: {
      server: { port: Number(process.env.ORIGIN_PORT ?? 8080) },
      log: { level: process.env.LOG_LEVEL ?? 'warn' },
      ...(edgeSecret ? { auth: { mode: 'edge', edgeSecret } } : {}),
    },
  });
  parts.push({ name: 'origin', stop: () => origin.close() });

  const runtime = localRuntime((process.env.EDGE_RUNTIME as 'fastly' | 'workers' | undefined) ?? 'auto');
  const edge = withEdge ? await startLocalEdge({ originUrl: origin.url, runtime, port: Number(process.env.EDGE_PORT ?? 7676) }) : undefined;
  if (edge) parts.push({ name: 'edge', stop: () => edge.close() });
  const auth = demo ? ` \\
    -H 'authorization: Bearer ${demo.key}'` : '';

  const entry = edge?.url ?? origin.url;
  const model = sim ? 'gpt-oss:20b' : '<a model from /v1/models>';
  console.log(`
Puerta local stack
  upstream  ${sim ? `Ollama simulator ${sim.url} (no OLLAMA_URL set)` : `Ollama ${upstreamUrl}`}
  origin    ${origin.url}${edge ? ' (accepts only edge-signed requests)' : ''}${edge ? `\n  edge      ${edge.url}  (${runtime === 'fastly' ? 'Fastly Compute build in Viceroy' : 'Workers build in workerd'})\n  demo key  ${demo!.key}  (tenant "demo"; a new one each start, only its hash is stored)` : ''}

Try it:
  curl -N ${entry}/v1/chat/completions${auth} \\
    -H 'content-type: application/json' \\
    -d '{"model":"${model}","stream":true,"messages":[{"role":"user","content":"¿Qué es Puerta?"}]}'

  curl ${entry}/v1/models${auth}
${edge ? `  ollama npm client: new Ollama({ host: '${entry}', headers: { Authorization: 'Bearer <demo key>' } })` : `  OLLAMA_HOST=${entry} ollama run ${model}   (the Ollama CLI works against it too)`}

Ctrl-C stops the stack.`);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
main().catch(async (err) => {
  console.error(err instanceof Error ? err.message : err);
  await stopAll(1);
});
