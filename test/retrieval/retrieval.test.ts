import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { CORPUS, QUESTIONS } from './corpus.ts';
import { ADMIN_TOKEN, api, startRagStack, twoTenants } from './helpers.ts';

let stack: OriginStack;
let acme: ReturnType<typeof api>;
let globex: ReturnType<typeof api>;
let admin: ReturnType<typeof api>;
let acmeKey: string;

beforeAll(async () => {
  const t = await twoTenants();
  stack = await startRagStack(t.file);
  acme = api(stack.origin.url, t.keys.acme);
  acmeKey = t.keys.acme;
  globex = api(stack.origin.url, t.keys.globex);
  admin = api(stack.origin.url, ADMIN_TOKEN);
  const up = await acme('POST', '/v1/collections/manuales/documents?wait=true', { documents: CORPUS });
  expect(up.status, JSON.stringify(up.json)).toBe(200);
});
afterAll(() => stack?.close());

const docsOf = (citations: Array<{ document: string }>) => [...new Set(citations.map((c) => c.document))];

describe('ingestion (embedded Postgres over the wire)', () => {
  it('stores every document and drops the near-duplicate copy at ingest', async () => {
    const list = await acme('GET', '/v1/collections/manuales/documents');
    expect(list.status).toBe(200);
    const byId = Object.fromEntries(list.json.documents.map((d: { id: string }) => [d.id, d]));
    expect(Object.keys(byId).sort()).toEqual(CORPUS.map((d) => d.id).sort());
    expect(byId.vpn.chunks).toBeGreaterThan(1);
    expect(byId.vpn.metadata).toEqual({ area: 'tecnologia', version: 3 });
    expect(byId['vacaciones-intranet'].title).toBe('Vacaciones (copia de la intranet)');
    // The HTML copy says what the text policy says: its chunks were near-duplicates, not stored.
    expect(byId['vacaciones-intranet'].duplicatesDropped).toBe(byId.vacaciones.chunks);
    expect(byId['vacaciones-intranet'].chunks).toBe(0);
    const info = await acme('GET', '/v1/collections/manuales');
    expect(info.json).toMatchObject({ name: 'manuales', documents: CORPUS.length });
  });

  it('reports a job with progress over SSE and by status', async () => {
    const up = await acme('POST', '/v1/collections/otra/documents', { documents: [{ id: 'impresoras', content: CORPUS[3]!.content }] });
    expect(up.status).toBe(202);
    expect(up.headers.get('location')).toBe(`/v1/ingest/jobs/${up.json.job.id}`);
    const events = await acme('GET', `/v1/ingest/jobs/${up.json.job.id}/events`);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    const done = /event: done\ndata: (.*)\n/.exec(events.json as string);
    expect(done, events.json as string).not.toBeNull();
    expect(JSON.parse(done![1]!)).toMatchObject({ state: 'succeeded', documents: { total: 1, done: 1, failed: 0 } });
    const status = await acme('GET', `/v1/ingest/jobs/${up.json.job.id}`);
    expect(status.json.job.state).toBe('succeeded');
    // Another tenant cannot see the job.
    expect((await globex('GET', `/v1/ingest/jobs/${up.json.job.id}`)).status).toBe(404);
  });

  it('refuses bad uploads naming the field', async () => {
    const r = await acme('POST', '/v1/collections/manuales/documents', { documents: [{ id: 'a/b', content: 'x' }] });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('documents[0].id');
    const dup = await acme('POST', '/v1/collections/manuales/documents', { documents: [{ id: 'x', content: 'uno' }, { id: 'x', content: 'dos' }] });
    expect(dup.status).toBe(400);
    expect(dup.json.error.message).toContain("'x' appears twice");
    const fmt = await acme('POST', '/v1/collections/manuales/documents', { documents: [{ id: 'x', content: 'uno', format: 'pdf' }] });
    expect(fmt.status).toBe(400);
    expect(fmt.json.error.param).toBe('documents[0].format');
    const name = await acme('GET', '/v1/collections/..%2Fotro');
    expect(name.status).toBe(400);
  });
});

describe('retrieval', () => {
  it('returns the relevant chunks with a dynamic k, never the unrelated document', async () => {
    const vpn = await acme('POST', '/v1/collections/manuales/search', { query: QUESTIONS.vpn });
    expect(vpn.status).toBe(200);
    expect(docsOf(vpn.json.citations)).toEqual(['vpn']);
    const vac = await acme('POST', '/v1/collections/manuales/search', { query: QUESTIONS.vacaciones });
    expect(docsOf(vac.json.citations)).toEqual(['vacaciones']);
    for (const r of [vpn, vac]) {
      expect(r.json.citations.length).toBeGreaterThan(0);
      expect(r.json.citations.length).toBeLessThanOrEqual(8);
      // Fewer chunks than a fixed top-k would have sent: the saving is counted.
      expect(r.json.candidates).toBeGreaterThan(r.json.citations.length);
      expect(r.json.tokensSaved.topK).toBeGreaterThan(0);
      const scores = r.json.citations.map((c: { score: number }) => c.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
  });

  it('a question about nothing in the collection gets no passage', async () => {
    const r = await acme('POST', '/v1/collections/manuales/search', { query: 'Resultados del campeonato de fútbol sala juvenil' });
    expect(r.json.citations).toEqual([]);
  });
});

describe('tenant isolation', () => {
  it('a tenant never reads another tenant’s collection', async () => {
    expect((await globex('GET', '/v1/collections/manuales')).status).toBe(404);
    expect((await globex('POST', '/v1/collections/manuales/search', { query: QUESTIONS.vpn })).status).toBe(404);
    expect((await globex('GET', '/v1/collections')).json.collections).toEqual([]);
    expect((await globex('DELETE', '/v1/collections/manuales/documents/vpn')).status).toBe(404);
    // The alias reads the caller's own collection: globex has none yet, so a clear 404, not acme's passages.
    const chat = await globex('POST', '/v1/chat/completions', { model: 'asistente-rag', messages: [{ role: 'user', content: QUESTIONS.vpn }] });
    expect(chat.status).toBe(404);
    expect(chat.json.error.code).toBe('collection_not_found');
    // globex makes its own 'manuales': same name, its own documents only.
    const up = await globex('POST', '/v1/collections/manuales/documents?wait=true', { documents: [{ id: 'vpn-globex', content: 'La VPN de Globex usa WireGuard y el código de doble factor llega por mensaje de texto.' }] });
    expect(up.json.job.state).toBe('succeeded');
    const g = await globex('POST', '/v1/collections/manuales/search', { query: QUESTIONS.vpn });
    expect(docsOf(g.json.citations)).toEqual(['vpn-globex']);
    const a = await acme('POST', '/v1/collections/manuales/search', { query: QUESTIONS.vpn });
    expect(docsOf(a.json.citations)).toEqual(['vpn']);
    // The admin API sees each tenant's own collections, and needs its token.
    expect((await admin('GET', '/admin/tenants/globex/collections/manuales/documents')).json.documents.map((d: { id: string }) => d.id)).toEqual(['vpn-globex']);
    expect((await acme('GET', '/admin/tenants/globex/collections')).status).toBe(401);
  });
});

describe('dedup at retrieval', () => {
  it('of near-identical stored chunks only the best one reaches the prompt', async () => {
    const store = stack.origin.deps.retrieval!.store;
    const embed = stack.origin.deps.retrieval!.embedder;
    const texts = [
      'La impresión segura retiene el trabajo hasta que acercás el carné al lector de la impresora.',
      'La impresión segura retiene el trabajo hasta que acercás tu carné al lector de la impresora.',
      'El atasco de papel se resuelve abriendo la bandeja lateral de la impresora.',
    ];
    const { vectors } = await embed.embed(texts, { tenant: { id: 'acme', via: 'key' }, priority: 'batch', signal: AbortSignal.timeout(10_000) });
    // Stored with ingest dedup off (a threshold above 1), as a store filled by another tool might be.
    for (const [i, text] of texts.entries()) {
      await store.replaceDocument({ tenant: 'acme', collection: 'duplicados' }, { id: `d${i}`, title: null, format: 'text', metadata: {}, bytes: text.length, contentSha256: String(i) }, [{ seq: 0, text, tokens: 20, vector: vectors[i]! }], 2);
    }
    const r = await acme('POST', '/v1/collections/duplicados/search', { query: '¿Cómo funciona la impresión segura con el carné?' });
    expect(r.status).toBe(200);
    const docs = r.json.citations.map((c: { document: string }) => c.document);
    expect(docs.filter((d: string) => d === 'd0' || d === 'd1')).toHaveLength(1);
    expect(r.json.tokensSaved.dedup).toBe(20);
  });
});

describe('re-upload and delete', () => {
  const chunkIds = async (): Promise<string[]> => {
    const r = await acme('POST', '/v1/collections/manuales/search', { query: QUESTIONS.vpn });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.citations.filter((c: { document: string }) => c.document === 'vpn').map((c: { chunk: string }) => c.chunk);
  };

  it('replaces a document’s chunks atomically: readers see the old or the new version, never a mix', async () => {
    const before = new Set(await chunkIds());
    expect(before.size).toBeGreaterThan(0);
    const seen: string[][] = [];
    let done = false;
    const reader = (async () => {
      while (!done) seen.push(await chunkIds());
    })();
    const newVpn = 'La VPN corporativa ahora usa WireGuard. El código de doble factor se aprueba con una notificación en el teléfono; si la VPN no conecta, revisá la hora del teléfono y reiniciá WireGuard. '.repeat(3);
    const up = await acme('PUT', '/v1/collections/manuales/documents/vpn?wait=true', { format: 'text', content: newVpn, metadata: { version: 4 } });
    expect(up.json.job.state).toBe('succeeded');
    const after = new Set(await chunkIds());
    done = true;
    await reader;
    expect([...after].some((id) => before.has(id))).toBe(false);
    for (const ids of seen) {
      const old = ids.filter((id) => before.has(id)).length;
      expect(old === 0 || old === ids.length, `a reader saw a mix: ${ids.join(',')}`).toBe(true);
    }
    const doc = (await acme('GET', '/v1/collections/manuales/documents')).json.documents.find((d: { id: string }) => d.id === 'vpn');
    expect(doc.metadata).toEqual({ version: 4 });
  });

  it('a replacement that fails half-way leaves the previous version whole', async () => {
    const store = stack.origin.deps.retrieval!.store;
    const before = await chunkIds();
    const good = new Array(768).fill(0).map((_, i) => (i === 0 ? 1 : 0));
    // The second chunk's vector has another width: the insert fails inside the transaction.
    const bad = store.replaceDocument({ tenant: 'acme', collection: 'manuales' }, { id: 'vpn', title: null, format: 'text', metadata: {}, bytes: 1, contentSha256: 'x' }, [
      { seq: 0, text: 'nuevo', tokens: 1, vector: good },
      { seq: 1, text: 'roto', tokens: 1, vector: [1, 0, 0] },
    ], 0.95);
    await expect(bad).rejects.toThrow();
    expect(await chunkIds()).toEqual(before);
  });

  it('deletes a document, then the collection', async () => {
    expect((await acme('DELETE', '/v1/collections/manuales/documents/impresoras')).status).toBe(200);
    expect((await acme('DELETE', '/v1/collections/manuales/documents/impresoras')).status).toBe(404);
    const r = await acme('POST', '/v1/collections/manuales/search', { query: 'impresora atasco de papel' });
    expect(r.json.citations.map((c: { document: string }) => c.document)).not.toContain('impresoras');
    expect((await acme('DELETE', '/v1/collections/duplicados')).status).toBe(200);
    expect((await acme('GET', '/v1/collections/duplicados')).status).toBe(404);
    expect((await acme('POST', '/v1/collections/duplicados/search', { query: 'x' })).status).toBe(404);
  });
});

describe('npm run ingest', () => {
  it('uploads files by extension and prints progress to the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puerta-ingest-'));
    const files = CORPUS.map((d) => {
      const file = join(dir, `${d.id}.${d.format === 'markdown' ? 'md' : d.format === 'html' ? 'html' : 'txt'}`);
      writeFileSync(file, d.content);
      return file;
    });
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts', '--collection', 'desde-cli', '--url', stack.origin.url, '--key', acmeKey, ...files], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toMatchObject({ state: 'succeeded', documents: { total: CORPUS.length, done: CORPUS.length } });
    // Not a terminal: one progress line per tenth, ending with the full bar.
    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^\\[#{30}\\] ${CORPUS.length}/${CORPUS.length} documents  \\d+ chunks  [1-9]\\d* duplicates dropped$`));
    const docs = (await acme('GET', '/v1/collections/desde-cli/documents')).json.documents;
    expect(docs.find((d: { id: string }) => d.id === 'vpn')).toMatchObject({ format: 'markdown', metadata: { file: 'vpn.md' } });
    expect(docs.find((d: { id: string }) => d.id === 'vacaciones-intranet').format).toBe('html');
  });
});
