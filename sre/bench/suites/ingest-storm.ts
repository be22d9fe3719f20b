/**
 * `npm run bench:ingest-storm`: does a bulk upload starve chat? One engine (simulated DGX Spark)
 * serves the chat model and the embedding model from one group of 4 admission slots. Chat users
 * ask a RAG alias (retrieval, then the answer) with think time; first with nothing else running
 * (idle), then while a 100-document upload (a new edition of every document the alias reads,
 * replaced while chat reads them) embeds its chunks through the same gate in the batch class. Prints chat TTFT p50/p95/p99 for both phases and the p95 ratio (goal: within 2×), and the
 * ingestion's documents, chunks and duration.
 *
 * Engine time runs `timeScale` times faster than on the hardware and is converted back in the
 * figures; the database (embedded PGlite) runs in real time. Loopback only, bounded in time.
 *
 *   npm run bench:ingest-storm -- [--time-scale 0.2] [--chatters 8] [--documents 100] [--idle-seconds 60] [--max-seconds 600] [--statement-chunks 2] [--reserve-interactive 0]
 */
import pino from 'pino';
import { Agent, request } from 'undici';
import { startOrigin } from '../../../origin/node/server.ts';
import { startSimulator } from '../../../sim/index.ts';
import { presets } from '../../../sim/presets.ts';
import { percentile, printTable, sortedCopy } from '../lib/stats.ts';
import { streamedChat } from '../lib/streamed-chat.ts';
import { mulberry32 } from '../../../sim/text.ts';
import { cliArgs } from '../../../shared/cli.ts';

const USAGE = `usage: npm run bench:ingest-storm -- [flags]

  chat TTFT through a RAG alias while a bulk upload embeds on the same engine, vs idle (goal: p95
  within 2x)

  --time-scale X              engine time scale (default 0.2)
  --chatters N                chat users (default 8)
  --documents N               documents in the upload (default 100)
  --idle-seconds N            seconds of the idle phase (default 60)
  --max-seconds N             upper bound on the run (default 600)
  --reserve-interactive N     slots batch work never takes (admission.reserveInteractive, default 0)
  --statement-chunks N        chunks per ingest statement (retrieval.ingest.statementChunks)
  --help                      this text`;

const { values } = cliArgs({
  name: 'bench:ingest-storm',
  usage: USAGE,
  options: {
    'time-scale': { type: 'string', default: '0.2' },
    chatters: { type: 'string', default: '8' },
    documents: { type: 'string', default: '100' },
    'idle-seconds': { type: 'string', default: '60' },
    'max-seconds': { type: 'string', default: '600' },
    /** Slots of the group batch work never takes (admission.reserveInteractive). */
    'reserve-interactive': { type: 'string', default: '0' },
    /** Chunks per ingest statement (retrieval.ingest.statementChunks); unset: the default. */
    'statement-chunks': { type: 'string' },
  },
});
const TS = Number(values['time-scale']);
const CHATTERS = Number(values.chatters);
const DOCUMENTS = Number(values.documents);
const IDLE_S = Number(values['idle-seconds']);
const MAX_S = Number(values['max-seconds']);
const RESERVE = Number(values['reserve-interactive']);
const STATEMENT_CHUNKS = values['statement-chunks'] === undefined ? {} : { statementChunks: Number(values['statement-chunks']) };
const CHAT = 'gpt-oss:20b';
const EMBED = 'nomic-embed-text:latest';
const ALIAS = 'asistente-rag';
const THINK_S = 4;
const CHAT_TOKENS = 20;

const sim = (ms: number) => ms / TS;
const real = (simMs: number) => simMs * TS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Idle sockets are dropped well before the origin's own keep-alive limit, so a POST never lands on a closing one.
const agent = new Agent({ connections: 256, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });

const TOPICS = ['vpn', 'vacaciones', 'impresoras', 'nómina', 'correo', 'laptops', 'contraseñas', 'viáticos', 'seguridad', 'reuniones'];
const WORDS = (
  'procedimiento solicitud portal aprobación jefatura sistema acceso usuario equipo soporte política plazo formulario requisito servicio configuración red ' +
  'documento registro reporte contrato proveedor factura presupuesto auditoría inventario licencia servidor respaldo incidente cambio versión mantenimiento ' +
  'capacitación evaluación desempeño turno horario oficina sede edificio estacionamiento comedor transporte seguro médico beneficio permiso ausencia ' +
  'teléfono extensión directorio calendario sala proyector pantalla teclado monitor cargador batería impresión escáner papel tóner bandeja carné lector ' +
  'firma sello archivo carpeta expediente trámite ventanilla cita fecha límite prórroga multa pago transferencia cuenta banco tarjeta reembolso recibo'
).split(' ');

/**
 * A help-desk-like document of ~1,100 words about one topic (about eleven chunks), distinct from
 * the others; `edition` 1 is a rewrite of edition 0 (same id, topic and length, other sentences).
 */
function document(i: number, edition: number): { id: string; content: string; format: 'text' } {
  const rand = mulberry32(i + 1 + edition * 100_003);
  const topic = TOPICS[i % TOPICS.length]!;
  const pick = () => WORDS[Math.floor(rand() * WORDS.length)]!;
  const sentences: string[] = [];
  for (let s = 0; s < 90; s++) sentences.push(`Para ${topic}, el ${pick()} del ${pick()} requiere ${pick()}, ${pick()} y ${pick()} antes de la ${pick()} en ${pick()}.`);
  return { id: `doc-${i}`, content: sentences.join(' '), format: 'text' };
}

/** Per-chat durations from the origin's Server-Timing (ms of wall time): where TTFT went. */
type Phases = Record<'retrieval' | 'search' | 'queue' | 'upstream', number[]>;
const PHASES = ['retrieval', 'search', 'queue', 'upstream'] as const;

const PHASE_TITLES: Record<keyof Phases, string> = {
  retrieval: 'retrieval (embed question + search)',
  search: 'vector search',
  queue: 'slot queue (answer)',
  upstream: 'engine first byte',
};

function recordPhases(header: string | string[] | undefined, into: Phases): void {
  for (const entry of String(header ?? '').split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const dur = params.find((p) => p.startsWith('dur='));
    if (dur && (PHASES as readonly string[]).includes(name!)) into[name as keyof Phases].push(Number(dur.slice(4)));
  }
}

async function chatUser(url: string, stop: () => boolean, ttft: number[], phases: Phases, errors: { n: number }, id: number): Promise<void> {
  await sleep(real((id / CHATTERS) * THINK_S * 1000));
  while (!stop()) {
    try {
      const res = await streamedChat(url, agent, { model: ALIAS, messages: [{ role: 'user', content: `¿Cómo se solicita ${TOPICS[id % TOPICS.length]} en el portal? [[sim:tokens=${CHAT_TOKENS}]]` }] });
      recordPhases(res.headers['server-timing'], phases);
      if (res.ttftMs !== null) ttft.push(sim(res.ttftMs));
      if (res.status >= 400 || res.ttftMs === null) errors.n++;
    } catch {
      errors.n++;
    }
    await sleep(real(THINK_S * 1000));
  }
}

async function phase(url: string, ingest: boolean): Promise<{ ttft: number[]; phases: Phases; errors: number; ingest?: { seconds: number; chunks: number; duplicates: number; failed: number } }> {
  const ttft: number[] = [];
  const phases: Phases = { retrieval: [], search: [], queue: [], upstream: [] };
  const errors = { n: 0 };
  const t0 = Date.now();
  let finished = !ingest;
  let job: { id: string } | undefined;
  const stopAt = t0 + real(IDLE_S * 1000);
  const hardStop = t0 + MAX_S * 1000;
  const stop = () => Date.now() > hardStop || (finished && Date.now() > stopAt);
  let ingestOut: { seconds: number; chunks: number; duplicates: number; failed: number } | undefined;
  const watcher = (async () => {
    if (!ingest) return;
    const docs = Array.from({ length: DOCUMENTS }, (_, i) => document(i, 1));
    const res = await fetch(`${url}/v1/collections/manuales/documents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: docs }) }).catch((err: unknown) => {
      throw new Error(`upload of ${DOCUMENTS} documents failed: ${String((err as Error).cause ?? err)}`);
    });
    job = ((await res.json()) as { job: { id: string } }).job;
    for (;;) {
      await sleep(100);
      const s = (await (await fetch(`${url}/v1/ingest/jobs/${job.id}`)).json()) as { job: { finishedAt: string | null; chunks: { stored: number; duplicatesDropped: number }; documents: { failed: number } } };
      if (s.job.finishedAt || Date.now() > hardStop) {
        ingestOut = { seconds: (Date.now() - t0) / 1000, chunks: s.job.chunks.stored, duplicates: s.job.chunks.duplicatesDropped, failed: s.job.documents.failed };
        finished = true;
        return;
      }
    }
  })();
  await Promise.all([watcher, ...Array.from({ length: CHATTERS }, (_, i) => chatUser(url, stop, ttft, phases, errors, i))]);
  return { ttft, phases, errors: errors.n, ...(ingestOut ? { ingest: ingestOut } : {}) };
}

async function main(): Promise<void> {
  const wall = Date.now();
  const s = await startSimulator({
    timeScale: TS,
    models: [{ ...presets['gpt-oss-20b'], embeddingDim: 64 }, presets['nomic-embed-text']],
    preloaded: [CHAT, EMBED],
  });
  const o = await startOrigin({
    env: {},
    logger: pino({ level: 'silent' }),
    overrides: {
      server: { port: 0 },
      upstreams: [{ name: 'spark', url: s.url, models: [CHAT, EMBED] }],
      stream: { keepaliveMs: Math.round(real(15_000)) },
      // One runner box: chat and embeddings share its 4 slots, so priority applies across them.
      admission: { defaultSlots: 4, groups: [{ name: 'spark', upstream: 'spark', models: [CHAT, EMBED], slots: 4 }], queueWaitMs: Math.round(real(30_000)), batchQueueWaitMs: Math.round(real(600_000)), reserveInteractive: RESERVE },
      routing: { health: { intervalMs: 0 }, aliases: { [ALIAS]: { model: CHAT, retrieval: { collection: 'manuales' } } } },
      retrieval: { enabled: true, embedModel: EMBED, ingest: STATEMENT_CHUNKS },
    },
  });
  try {
    // The collection holds the corpus before the first question, and the storm re-uploads every
    // document of it (a new edition, replaced while chat reads): both phases answer from the same
    // amount of text, so their prompts, and the engine's prefill, are alike.
    const pre = Date.now();
    await request(`${o.url}/v1/collections/manuales/documents?wait=true`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: Array.from({ length: DOCUMENTS }, (_, i) => document(i, 0)) }) }).then((r) => r.body.text());
    console.log(`  preloaded ${DOCUMENTS} documents in ${((Date.now() - pre) / 1000).toFixed(1)} s wall`);
    console.log(`ingest-storm: ${CHATTERS} chat users on RAG alias '${ALIAS}' (${CHAT_TOKENS}-token answers, ${THINK_S} s think time), one engine group of 4 slots shared with ${EMBED} (${RESERVE} kept from batch work); time scale ${TS}`);
    const idle = await phase(o.url, false);
    console.log(`  idle phase: ${idle.ttft.length} chats`);
    const storm = await phase(o.url, true);
    console.log(`  storm phase: ${storm.ttft.length} chats during the upload of ${DOCUMENTS} documents`);
    const p = (xs: number[], q: number) => percentile(sortedCopy(xs), q);
    const fmt = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
    console.log('\nchat TTFT, simulated (hardware) time, retrieval included:');
    printTable(
      ['phase', 'chats', 'errors', 'TTFT p50', 'TTFT p95', 'TTFT p99'],
      [
        ['idle', idle.ttft.length, idle.errors, fmt(p(idle.ttft, 50)), fmt(p(idle.ttft, 95)), fmt(p(idle.ttft, 99))],
        ['during ingestion', storm.ttft.length, storm.errors, fmt(p(storm.ttft, 50)), fmt(p(storm.ttft, 95)), fmt(p(storm.ttft, 99))],
      ],
    );
    console.log('\nwhere it went (origin Server-Timing, wall ms, database in real time): p50 / p95');
    printTable(
      ['phase', ...PHASES.map((n) => PHASE_TITLES[n])],
      [
        ['idle', ...PHASES.map((n) => `${p(idle.phases[n], 50).toFixed(0)} / ${p(idle.phases[n], 95).toFixed(0)}`)],
        ['during ingestion', ...PHASES.map((n) => `${p(storm.phases[n], 50).toFixed(0)} / ${p(storm.phases[n], 95).toFixed(0)}`)],
      ],
    );
    const ratio = p(storm.ttft, 95) / p(idle.ttft, 95);
    const ing = storm.ingest!;
    console.log(`\nTTFT p95 during / idle: ${ratio.toFixed(2)}× (goal: within 2×)`);
    console.log(`ingestion: ${DOCUMENTS} documents, ${ing.chunks} chunks stored, ${ing.duplicates} near-duplicates dropped, ${ing.failed} failed, ${sim(ing.seconds * 1000) / 1000 > 0 ? (sim(ing.seconds * 1000) / 1000).toFixed(1) : '-'} s simulated (${ing.seconds.toFixed(1)} s wall, database in real time)`);
  } finally {
    await o.close();
    await s.close();
    await agent.close();
  }
  console.log(`wall time ${((Date.now() - wall) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
