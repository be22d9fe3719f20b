/**
 * npm run console:screenshots — regenerates docs/console/*.png, one per console page, from a
 * real stack: the Ollama simulator, an origin with the console behind a local Workers edge, two
 * tenants with a day of usage, streams in flight, and headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import puppeteer from 'puppeteer-core';
import { addKey, ensureSecretsFile, putTenant, writeTenantsFile } from '../edge/cli/tenants-file.ts';
import { startLocalEdge } from '../edge/local/index.ts';
import { hashPassword } from '../origin/console/password.ts';
import { freePort } from '../sre/bench/lib/free-port.ts';
import { startOriginStack } from '../sre/bench/lib/origin-stack.ts';
import { cliArgs } from '../shared/cli.ts';

cliArgs({
  name: 'console:screenshots',
  usage: `Usage: npm run console:screenshots

Regenerates docs/console/*.png, one per console page, from a local stack (the simulator, an origin
with the console behind a local Workers edge, two tenants with a day of usage, streams in flight) in headless Chromium
(CHROMIUM_PATH, default /usr/bin/chromium). No flags besides --help.`,
  options: {},
});

const OUT = resolve('docs/console');
const dir = mkdtempSync(join(tmpdir(), 'puerta-screens-'));
const tenantsFile = join(dir, 'tenants.json');
const data: Record<string, string> = {};
const keys: Record<string, string> = {};
for (const id of ['acme', 'globex']) {
  putTenant(data, { id, name: `${id[0]!.toUpperCase()}${id.slice(1)} S.A.` });
  keys[id] = (await addKey(data, id, 'production')).key;
}
writeTenantsFile(tenantsFile, data);
const password = 'screenshots-only-password';
// The edge in front, as npm start runs it: Try it sends through it, so the console needs its URL before the origin starts.
const edgeUrl = `http://127.0.0.1:${await freePort()}`;
const secretsFile = join(dir, 'edge-secrets.json');
const stack = await startOriginStack({
  sim: { timeScale: 0.05 },
  origin: {
    auth: { mode: 'edge', edgeSecret: ensureSecretsFile(secretsFile), tenantsFile },
    // Frequent keepalives, so Try it's slow first token shows a few.
    stream: { keepaliveMs: 300 },
    audit: { region: 'cr-sjo-1', node: 'spark-1', batchWindowMs: 50, file: { dir: join(dir, 'audit'), fsync: false } },
    console: { user: 'operator', passwordHash: await hashPassword(password, 1024), edgeUrl },
    retrieval: { enabled: true, chunk: { tokens: 60, overlap: 12 } },
    batch: { enabled: true },
    metrics: { gpuMemoryBytes: 137438953472 },
  },
});
const edge = await startLocalEdge({ originUrl: stack.origin.url, runtime: 'workers', port: Number(new URL(edgeUrl).port), tenantsFile, secretsFile, config: { CORS_ALLOWED_ORIGINS: stack.origin.url } });
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const aborts: AbortController[] = [];
try {
  const quota = stack.origin.deps.quota!;
  const DAY = 86_400_000;
  for (let back = 13; back >= 1; back--) {
    const day = new Date(Date.now() - back * DAY).toISOString().slice(0, 10);
    for (const [tenant, scale] of [['acme', 900], ['globex', 400]] as const) {
      const n = Math.round(scale * (1 + Math.sin(back / 2) / 2));
      await quota.store.settle({ tenant, limits: quota.limitsFor(tenant), now: Date.now(), tokenDelta: 0, dayDelta: 0, leaseId: null, day, model: 'gpt-oss:20b', promptTokens: n * 3, completionTokens: n, error: false });
    }
  }
  // A collection for "Retrieval".
  const up = await fetch(`${edge.url}/v1/collections/manuales/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keys.acme!}`, 'content-type': 'application/json' },
    body: JSON.stringify({ documents: ['impresoras', 'redes', 'vpn'].map((id) => ({ id, content: `Manual de ${id}. `.repeat(40) })) }),
  });
  const job = ((await up.json()) as { job: { id: string } }).job.id;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const st = (await (await fetch(`${edge.url}/v1/ingest/jobs/${job}`, { headers: { authorization: `Bearer ${keys.acme!}` } })).json()) as { job: { state: string } };
    if (st.job.state !== 'running' && st.job.state !== 'queued') break;
  }
  // Two batches for "Batches": acme's embeddings, done; globex's chat lines, under way.
  const submit = async (tenant: string, endpoint: string, lines: string[]): Promise<void> => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([lines.join('\n') + '\n']), 'requests.jsonl');
    const auth = { authorization: `Bearer ${keys[tenant]!}` };
    const file = (await (await fetch(`${edge.url}/v1/files`, { method: 'POST', headers: auth, body: form })).json()) as { id: string };
    await fetch(`${edge.url}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint, completion_window: '24h' }) });
  };
  await submit('acme', '/v1/embeddings', Array.from({ length: 12 }, (_, i) => JSON.stringify({ custom_id: `doc-${i}`, method: 'POST', url: '/v1/embeddings', body: { model: 'nomic-embed-text', input: `documento ${i}` } })));
  await submit('globex', '/v1/chat/completions', Array.from({ length: 400 }, (_, i) => JSON.stringify({ custom_id: `ticket-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'llama3.2:3b', messages: [{ role: 'user', content: `clasifica el ticket ${i} [[sim:tokens=400]]` }] } })));
  // Streams in flight for "Now".
  for (const [tenant, model] of [['acme', 'gpt-oss:20b'], ['acme', 'gpt-oss:20b'], ['globex', 'llama3.2:3b']] as const) {
    const ac = new AbortController();
    aborts.push(ac);
    const client = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: keys[tenant]!, maxRetries: 0 });
    void client.chat.completions
      .create({ model, stream: true, messages: [{ role: 'user', content: 'hola [[sim:tokens=100000]]' }] }, { signal: ac.signal })
      .then(async (s) => {
        for await (const _ of s) void _;
      })
      .catch(() => {});
  }
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  const base = `${stack.origin.url}/console`;
  await page.goto(`${base}/login`);
  await page.type('input[name=user]', 'operator');
  await page.type('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  mkdirSync(OUT, { recursive: true });
  const shots: Array<[string, () => Promise<void>]> = [
    ['now', async () => void (await page.waitForFunction(() => document.querySelectorAll('#now-streams tr[data-request]').length === 3))],
    ['models', async () => {}],
    ['tenants', async () => {}],
    ['usage', async () => void (await page.waitForSelector('#usage-chart canvas'))],
    ['audit', async () => {}],
    ['retrieval', async () => {}],
    ['batches', async () => void (await page.waitForFunction(() => document.querySelectorAll('#batches tr[data-batch]').length === 2 && document.querySelector('#batches tr[data-status="completed"]') !== null, { timeout: 60_000 }))],
    ['timeouts', async () => {}],
    [
      'try',
      async () => {
        // globex: acme's two streams already hold the most of a model's slots one tenant may.
        await page.type('#try-form input[name=key]', keys.globex!);
        await page.type('#try-form input[name=model]', 'gpt-oss:20b');
        await page.type('#try-form textarea[name=message]', '¿Qué es Puerta? [[sim:fault=slow-first-byte,ms=30000,tokens=60]]');
        await page.click('#try-form button[type=submit]');
        await page.waitForFunction(() => document.getElementById('try-status')?.dataset.done === 'true', { timeout: 60_000 });
      },
    ],
  ];
  for (const [name, ready] of shots) {
    await page.goto(`${base}/${name}`);
    await ready();
    await page.screenshot({ path: join(OUT, `${name}.png`) as `${string}.png`, fullPage: true });
    console.log(`docs/console/${name}.png`);
  }
} finally {
  for (const a of aborts) a.abort();
  await browser.close();
  await edge.close();
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
}
