/**
 * Item 2 of hardening round 2: documents are read off the event loop, in worker threads, under a
 * CPU, output and memory budget per document. Here: the extraction's behaviour on the inputs that
 * used to take super-linear time, the worker pool's budgets, and an upload in which one document
 * goes over a budget while the others are stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { DocumentWorkers } from '../../origin/retrieval/document-workers.ts';
import { extractText } from '../../origin/retrieval/extract.ts';
import { chunkDocument } from '../../origin/retrieval/prepare.ts';
import { api, startRagStack, twoTenants } from './helpers.ts';

const chunk = { tokens: 200, overlap: 40 };
const never = new AbortController().signal;

/** Seconds of CPU and little memory: 3,000 unrelated vectors compared all against all. */
const costlyVectors = () => Float32Array.from({ length: 3_000 * 768 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
/** Memory without end: 300,000 tokens, each chunk of 200 overlapping the last by 199. */
const hungry = { content: Array.from({ length: 150_000 }, (_, i) => `s${i}.`).join(' '), format: 'text' as const, chunk: { tokens: 200, overlap: 199 }, maxChunks: 1_000_000 };

describe('HTML and Markdown extraction', () => {
  it('keeps visible text, drops script, style, nav and head, takes <title>', () => {
    const html = '<html><head><title> Manual  de\nVPN </title><style>p{}</style></head><body><nav>Inicio | Ayuda</nav><h1>VPN</h1><p>Conéctese &amp; espere.<script>alert(1)</script></p><ul><li>uno<li>dos</ul></body></html>';
    expect(extractText(html, 'html')).toEqual({ title: 'Manual de VPN', text: 'VPN\n\nConéctese & espere.\n\nuno\n\ndos' });
  });

  it('builds the tree as browsers do where end tags are optional', () => {
    // <nav> closes the open <p>, so the stray </p> ends nothing and "después" is still inside <nav>.
    expect(extractText('<p>antes<nav>menú</p>después', 'html').text).toBe('antes');
    // An end tag closes what is open inside it: the unclosed <nav> ends with its <div>.
    expect(extractText('<div><nav>menú</div>visible', 'html').text).toBe('visible');
    // <body> ends an unclosed <head>.
    expect(extractText('<head><meta charset=utf-8><body>cuerpo', 'html').text).toBe('cuerpo');
    // SVG is dropped; a self-closed <svg/> drops nothing after it.
    expect(extractText('<svg/>texto<svg><text>dibujo</text></svg> final', 'html').text).toBe('texto final');
    // CDATA is text inside MathML, a comment in HTML.
    expect(extractText('<math><![CDATA[x+1]]></math><![CDATA[oculto]]>', 'html').text).toBe('x+1');
  });

  it('reads documents of unclosed tags, whatever their depth, to the end', () => {
    // x170,000 froze the origin for minutes (an O(depth) stack operation per tag).
    expect(chunkDocument({ content: '<p><b><i>'.repeat(170_000), format: 'html', chunk, maxChunks: 5_000 })).toEqual({ kind: 'chunks', title: undefined, chunks: [] });
    const lists = chunkDocument({ content: '<ul><li>punto '.repeat(100_000) + 'fin', format: 'html', chunk, maxChunks: 5_000 });
    expect(lists.kind === 'chunks' && lists.chunks.at(-1)!.text.endsWith('punto\n\npunto fin')).toBe(true);
  });

  it('takes the first Markdown heading as the title, with spaces that once took hours to match', () => {
    expect(extractText('# x' + ' '.repeat(200_000) + 'y', 'markdown').title).toBe('x y');
    expect(extractText('texto\n#sin espacio\n## Título ##\n# Otro', 'markdown').title).toBe('Título');
    expect(extractText('####### siete\n# ###\n### tres', 'markdown').title).toBe('tres');
    expect(extractText('sin título', 'markdown').title).toBeUndefined();
  });

  it('holds a found title to 300 characters on one line', () => {
    expect(extractText(`<title>${'palabra '.repeat(1_000)}</title>`, 'html').title).toHaveLength(300);
  });
});

describe('document workers', () => {
  let workers: DocumentWorkers;
  beforeAll(() => {
    workers = new DocumentWorkers({ size: 1, maxQueue: 2, memoryMb: 64 });
  });
  afterAll(() => workers?.close());

  it('chunks in a worker and reports the CPU time it took', async () => {
    const r = await workers.chunk({ content: 'Una oración corta. '.repeat(500), format: 'text', chunk, maxChunks: 100 }, 10_000, never);
    expect(r.ok).toBe(true);
    if (r.ok && r.value.kind === 'chunks') {
      // 500 copies of one sentence: the identical windows are kept once.
      expect(r.value.chunks.length).toBeLessThanOrEqual(3);
      expect(r.cpuMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('stops a worker past its CPU budget; the next document is served by a fresh one', async () => {
    const over = await workers.nearDuplicates(costlyVectors(), 768, 0.95, 100, never);
    expect(over).toEqual({ ok: false, error: { code: 'cpu_budget_exceeded', limitMs: 100 } });
    const next = await workers.chunk({ content: 'sigue funcionando', format: 'text', chunk, maxChunks: 10 }, 10_000, never);
    expect(next).toMatchObject({ ok: true, value: { kind: 'chunks', chunks: [{ text: 'sigue funcionando' }] } });
  });

  it('stops at the output budget, counting distinct chunks only', async () => {
    const distinct = Array.from({ length: 5_000 }, (_, i) => `frase ${i}.`).join(' ');
    expect(await workers.chunk({ content: distinct, format: 'text', chunk, maxChunks: 10 }, 10_000, never)).toMatchObject({ ok: true, value: { kind: 'too_many_chunks' } });
    const repeated = 'La misma frase de siempre. '.repeat(20_000);
    expect(await workers.chunk({ content: repeated, format: 'text', chunk, maxChunks: 10 }, 10_000, never)).toMatchObject({ ok: true, value: { kind: 'chunks' } });
  });

  it('a document that needs more heap than the workers have fails alone', async () => {
    expect(await workers.chunk(hungry, 600_000, never)).toEqual({ ok: false, error: { code: 'memory_budget_exceeded', limitMb: 64 } });
    expect(await workers.chunk({ content: 'después', format: 'text', chunk, maxChunks: 10 }, 10_000, never)).toMatchObject({ ok: true });
  });

  it('refuses past its queue at once, and gives up a task when the caller does', async () => {
    const stop = new AbortController();
    const slow = (signal: AbortSignal) => workers.nearDuplicates(costlyVectors(), 768, 0.95, 600_000, signal);
    const running = slow(stop.signal);
    const queued = [slow(stop.signal), slow(stop.signal)];
    expect(workers.stats).toMatchObject({ busy: 1, queued: 2 });
    expect(await slow(never)).toEqual({ ok: false, error: { code: 'workers_busy', queue: 2 } });
    stop.abort(new Error('caller gave up'));
    for (const p of [running, ...queued]) await expect(p).rejects.toThrow('caller gave up');
    expect(workers.stats).toMatchObject({ busy: 0, queued: 0 });
  });

  it('compares packed vectors as dropNearDuplicates does', async () => {
    const dims = 4;
    const rows = [[1, 0, 0, 0], [0.99, 0.01, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0.999, 0.001, 0]];
    const r = await workers.nearDuplicates(Float32Array.from(rows.flat()), dims, 0.95, 10_000, never);
    expect(r).toMatchObject({ ok: true, value: [1, 4] });
  });
});

describe('an upload with one document over a budget', () => {
  let stack: OriginStack;
  let acme: ReturnType<typeof api>;
  beforeAll(async () => {
    const t = await twoTenants();
    stack = await startRagStack(t.file, { retrieval: { enabled: true, chunk: { tokens: 60, overlap: 12 }, ingest: { cpuMsPerDocument: 200, maxChunksPerDocument: 3_000 } } });
    acme = api(stack.origin.url, t.keys.acme);
  });
  afterAll(() => stack?.close());

  it('fails just that document, naming the limit; the others are stored', async () => {
    // Words that appear once: every chunk is distinct and unlike the others.
    const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ') + '.';
    // About 3,300 chunks of 60 tokens (48 new per chunk): past the output budget.
    const tooMany = words('q', 160_000);
    // About 2,100 chunks: within it, but comparing them all against all takes seconds of CPU.
    const costly = words('p', 100_000);
    const up = await acme('POST', '/v1/collections/presupuesto/documents?wait=true', {
      documents: [
        { id: 'corto', content: 'La impresora del segundo piso se reinicia con el botón azul.' },
        { id: 'largo', content: tooMany },
        { id: 'costoso', content: costly },
        { id: 'vacio', format: 'html', content: '<p><b><i>'.repeat(170_000) },
        { id: 'otro', content: 'Las vacaciones se piden en la intranet con dos semanas de antelación.' },
      ],
    });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    expect(up.json.job).toMatchObject({ state: 'partial', documents: { total: 5, done: 2, failed: 3 } });
    const errors = Object.fromEntries(up.json.job.errors.map((e: { document: string; code: string; message: string }) => [e.document, e]));
    expect(errors.largo).toEqual({ document: 'largo', code: 'too_many_chunks', message: "document 'largo' makes more than 3000 chunks (retrieval.ingest.maxChunksPerDocument); split it into smaller documents" });
    expect(errors.costoso).toEqual({ document: 'costoso', code: 'cpu_budget_exceeded', message: "document 'costoso' needed more than 200 ms of CPU to extract, chunk and compare (retrieval.ingest.cpuMsPerDocument); its work was stopped" });
    expect(errors.vacio).toMatchObject({ code: 'empty_document' });
    const list = await acme('GET', '/v1/collections/presupuesto/documents');
    expect(list.json.documents.map((d: { id: string }) => d.id).sort()).toEqual(['corto', 'otro']);
  });
});
