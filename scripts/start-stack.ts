/**
 * `npm start`: the whole local stack with demo defaults. The upstream is, in this order:
 * OLLAMA_URL when set; else the real Ollama server built by scripts/ensure-ollama.sh (when its
 * cached build is present) serving the tiny test models; else the Ollama simulator (models
 * preloaded, real-time speed of a DGX Spark). `--upstream ollama|sim` picks one of the last two.
 * Prints where to send requests and which upstream runs. Ctrl-C stops everything it started.
 *
 * Environment: OLLAMA_URL (a real Ollama), ORIGIN_PORT (default 8080), SIM_PORT (default 11435);
 * the local Ollama build takes a free loopback port.
 * The edge runs in front (Viceroy when built, else workerd; EDGE_RUNTIME=fastly|workers, EDGE_PORT
 * default 7676, EDGE=off to skip it); the origin then accepts only edge-signed requests.
 * Retrieval and batch jobs are on, each with an embedded Postgres (RETRIEVAL_ENABLED=false and
 * BATCH_ENABLED=false skip them; batch state is kept in memory unless BATCH_DATA_DIR names a directory); the RAG alias
 * `asistente-rag` answers from the tenant's `manuales` collection with RAG_MODEL (default: the
 * model the examples use: the simulator's gpt-oss:20b, or the local Ollama's tiny chat model).
 * The operator console answers at <origin>/console with a login printed at start (a new password
 * each start; CONSOLE_USER and CONSOLE_PASSWORD_HASH set your own); the audit trail goes to
 * .puerta/audit unless AUDIT_DIR is set.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { hashPassword } from '../origin/console/password.ts';
import { OLLAMA_VERSION, ollamaAvailable, startLocalOllama, tinyModels } from '../infra/ollama-local/index.ts';
import { startOrigin, type RunningOrigin } from '../origin/node/server.ts';
import { startSimulator } from '../sim/index.ts';
import { localRuntime, localSigningSecret, prepareDemoTenant, startLocalEdge } from '../edge/local/index.ts';
import { cliArgs, exitBadUsage } from '../shared/cli.ts';

const USAGE = `usage: npm start [-- --upstream ollama|sim]

  the whole local stack with demo defaults: edge → origin → upstream; prints where to send requests
  and a demo tenant key. Ctrl-C stops everything it started.

  --upstream ollama   the real Ollama server built by scripts/ensure-ollama.sh, with tiny test models
  --upstream sim      the Ollama simulator (models preloaded, real-time speed of a DGX Spark)
                      (default: OLLAMA_URL when set, else the Ollama build when present, else the simulator)
  --help              this text

  Environment: OLLAMA_URL, ORIGIN_PORT (8080), SIM_PORT (11435), EDGE_PORT (7676), EDGE=off,
  EDGE_RUNTIME=fastly|workers, RETRIEVAL_ENABLED=false, BATCH_ENABLED=false, RAG_MODEL, LOG_LEVEL.`;

const args = cliArgs({ name: 'start', usage: USAGE, options: { upstream: { type: 'string' } } });
const upstreamChoice = z.enum(['ollama', 'sim', 'auto']).safeParse(args.values.upstream ?? 'auto');
if (!upstreamChoice.success) exitBadUsage(`start: --upstream must be ollama, sim or auto, got "${args.values.upstream}" (--help for usage)`);

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

interface Upstream {
  url: string;
  /** What the banner says runs there. */
  label: string;
  /** The model the printed examples use. */
  model: string;
  /** The embedding model it serves, for the retrieval stage (else EMBED_MODEL or the default). */
  embed?: string;
}

async function startUpstream(): Promise<Upstream> {
  const wanted = upstreamChoice.data;
  if (process.env.OLLAMA_URL && wanted === 'auto') {
    return { url: process.env.OLLAMA_URL, label: `Ollama ${process.env.OLLAMA_URL} (OLLAMA_URL)`, model: '<a model from /v1/models>' };
  }
  if (wanted === 'ollama' || (wanted === 'auto' && ollamaAvailable())) {
    if (!ollamaAvailable()) throw new Error('--upstream ollama: no Ollama build yet; run scripts/ensure-ollama.sh (about 6 minutes, once)');
    const o = await startLocalOllama({ numParallel: 2 });
    parts.push({ name: 'ollama', stop: () => o.stop() });
    return {
      url: o.url,
      label: `real Ollama ${OLLAMA_VERSION} ${o.url} (local build, tiny random-weight models: ${tinyModels.chat}, ${tinyModels.embed}; --upstream sim for the simulator)`,
      model: tinyModels.chat,
      embed: tinyModels.embed,
    };
  }
  const sim = await startSimulator({ port: Number(process.env.SIM_PORT ?? 11435), preloaded: ['gpt-oss:20b', 'nomic-embed-text:latest', 'llama3.2:3b'] });
  parts.push({ name: 'simulator', stop: () => sim.close() });
  const why = wanted === 'sim' ? '--upstream sim' : 'no OLLAMA_URL and no local Ollama build';
  return { url: sim.url, label: `Ollama simulator ${sim.url} (${why})`, model: 'gpt-oss:20b' };
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const upstreamUrl = upstream.url;
  const withEdge = process.env.EDGE !== 'off';
  const edgeSecret = withEdge ? localSigningSecret() : undefined;
  const demo = withEdge ? await prepareDemoTenant() : undefined;
  const retrieval = process.env.RETRIEVAL_ENABLED !== 'false';
  const batch = process.env.BATCH_ENABLED !== 'false';
  const ragModel = process.env.RAG_MODEL ?? (upstream.model.startsWith('<') ? undefined : upstream.model);
  // The operator console with a fresh local login each start, unless CONSOLE_USER/CONSOLE_PASSWORD_HASH say otherwise.
  const consolePassword = process.env.CONSOLE_PASSWORD_HASH ? undefined : randomBytes(12).toString('base64url');
  const operator = consolePassword ? { user: process.env.CONSOLE_USER || 'operator', passwordHash: await hashPassword(consolePassword) } : undefined;
  // The console's Try it page sends its request from the browser to the edge: it needs the edge's URL, and the edge its CORS consent (below).
  const edgePort = Number(process.env.EDGE_PORT ?? 7676);
  const consoleEdge = withEdge && !process.env.CONSOLE_EDGE_URL ? { edgeUrl: `http://127.0.0.1:${edgePort}` } : {};
  const origin: RunningOrigin = await startOrigin({
    env: { ...process.env, OLLAMA_URL: upstreamUrl },
    overrides: {
      server: { port: Number(process.env.ORIGIN_PORT ?? 8080) },
      log: { level: process.env.LOG_LEVEL ?? 'warn' },
      ...(edgeSecret ? { auth: { mode: 'edge', edgeSecret } } : {}),
      ...(operator || consoleEdge.edgeUrl ? { console: { ...operator, ...consoleEdge } } : {}),
      // The console's Audit page (and its own actions) need a trail: a local one unless AUDIT_DIR says where.
      ...(process.env.AUDIT_DIR ? {} : { audit: { file: { dir: '.puerta/audit' } } }),
      ...(retrieval ? { retrieval: { enabled: true, ...(upstream.embed && !process.env.EMBED_MODEL ? { embedModel: upstream.embed } : {}) } } : {}),
      // Batch jobs (/v1/files, /v1/batches, /v1/messages/batches) on an embedded Postgres.
      ...(batch ? { batch: { enabled: true } } : {}),
      ...(retrieval && ragModel ? { routing: { aliases: { 'asistente-rag': { model: ragModel, retrieval: { collection: 'manuales' } } } } } : {}),
    },
  });
  parts.push({ name: 'origin', stop: () => origin.close() });

  const runtime = localRuntime((process.env.EDGE_RUNTIME as 'fastly' | 'workers' | undefined) ?? 'auto');
  // The config files' local web-app origins, plus the console's own origin (as 127.0.0.1 and as localhost).
  const corsOrigins = [process.env.CORS_ALLOWED_ORIGINS ?? 'http://localhost:3000,http://127.0.0.1:3000', origin.url, origin.url.replace('//127.0.0.1:', '//localhost:')].join(',');
  const edge = withEdge ? await startLocalEdge({ originUrl: origin.url, runtime, port: edgePort, config: { CORS_ALLOWED_ORIGINS: corsOrigins } }) : undefined;
  if (edge) parts.push({ name: 'edge', stop: () => edge.close() });
  const auth = demo ? ` \\
    -H 'authorization: Bearer ${demo.key}'` : '';

  const entry = edge?.url ?? origin.url;
  const model = upstream.model;
  console.log(`
Puerta local stack
  upstream  ${upstream.label}
  origin    ${origin.url}${edge ? ' (accepts only edge-signed requests)' : ''}
  console   ${origin.url}/console  (${operator ? `operator "${operator.user}", password ${consolePassword}; a new one each start` : `CONSOLE_USER "${origin.cfg.console.user}"`}; on the origin only, never through the edge)${edge ? `\n  edge      ${edge.url}  (${runtime === 'fastly' ? 'Fastly Compute build in Viceroy' : 'Workers build in workerd'})\n  demo key  ${demo!.key}  (tenant "demo"; a new one each start, only its hash is stored)` : ''}

Try it:
  curl -N ${entry}/v1/chat/completions${auth} \\
    -H 'content-type: application/json' \\
    -d '{"model":"${model}","stream":true,"messages":[{"role":"user","content":"¿Qué es Puerta?"}]}'

  curl ${entry}/v1/models${auth}
${retrieval && ragModel ? `
Retrieval (embedded Postgres): load documents, then ask the RAG alias
  PUERTA_ORIGIN_URL=${entry}${demo ? ` PUERTA_API_KEY=${demo.key}` : ''} npm run ingest -- --collection manuales docs/*.md
  curl -N ${entry}/v1/chat/completions${auth} -H 'puerta-citations: include' \\
    -H 'content-type: application/json' \\
    -d '{"model":"asistente-rag","stream":true,"messages":[{"role":"user","content":"Which embedding model does retrieval use?"}]}'
` : ''}${edge ? `  ollama npm client: new Ollama({ host: '${entry}', headers: { Authorization: 'Bearer <demo key>' } })` : `  OLLAMA_HOST=${entry} ollama run ${model}   (the Ollama CLI works against it too)`}

Ctrl-C stops the stack.`);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
main().catch(async (err) => {
  console.error(err instanceof Error ? err.message : err);
  await stopAll(1);
});
