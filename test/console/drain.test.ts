import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { login, operatorRecords, startConsoleStack, submit, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
const sims: Simulator[] = [];
let key: string;
beforeAll(async () => {
  for (let i = 0; i < 2; i++) sims.push(await startSimulator({ preloaded: ['gpt-oss:20b'], timeScale: 0.05 }));
  s = await startConsoleStack({ origin: { upstreams: [{ name: 'spark-a', url: sims[0]!.url }, { name: 'spark-b', url: sims[1]!.url }] } });
  const data = readTenantsFile(s.tenantsFile);
  putTenant(data, { id: 'acme' });
  key = (await addKey(data, 'acme')).key;
  writeTenantsFile(s.tenantsFile, data);
});
afterAll(async () => {
  await s?.close();
  for (const x of sims) await x.close();
});

/** Which upstream served each request, from the audit trail's request records. */
function servedBy(auditDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of readdirSync(auditDir).filter((x) => x.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(auditDir, n), 'utf8').split('\n')) {
      if (!line.startsWith('{"type":"request"')) continue;
      const r = JSON.parse(line) as { id: string; upstream: string | null };
      if (r.upstream) out.set(r.id, r.upstream);
    }
  }
  return out;
}

describe('console: draining an engine', () => {
  it('stops new requests to a drained engine while its open stream runs on, and resumes it', async () => {
    const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: key, maxRetries: 0 });
    await expect.poll(async () => (await fetch(`${s.origin.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status, { timeout: 10_000 }).toBe(200);
    const page = await s.browser.newPage();
    await login(page, s.console);

    // A long stream, on whichever engine the router picks.
    const stream = await client.chat.completions.create({ model: 'gpt-oss:20b', stream: true, messages: [{ role: 'user', content: 'hola [[sim:tokens=100000]]' }] });
    let chunks = 0;
    const reading = (async () => {
      try {
        for await (const _ of stream) chunks++;
      } catch {
        // Aborted by the test.
      }
    })();
    await expect.poll(() => page.$eval('#now-streams tr[data-request] td:nth-child(8)', (td) => td.textContent).catch(() => null), { timeout: 10_000 }).toMatch(/^spark-[ab]$/);
    const busy = (await page.$eval('#now-streams tr[data-request] td:nth-child(8)', (td) => td.textContent))!;
    const other = busy === 'spark-a' ? 'spark-b' : 'spark-a';

    await page.goto(`${s.console}/models`);
    await submit(page, `section[data-engine="${busy}"] form[action$="/engines/drain"] button`);
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe(`${busy} draining: no new requests, open streams run on`);
    expect(await page.$eval(`section[data-engine="${busy}"] .drain`, (p) => p.textContent)).toMatch(/^Draining on this replica: no new requests; 1 stream\(s\) still running\./);

    // The open stream runs on; new work goes to the other engine.
    const before = chunks;
    await expect.poll(() => chunks, { timeout: 10_000 }).toBeGreaterThan(before + 10);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await client.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hola [[sim:tokens=2]]' }] }).withResponse();
      ids.push(r.response.headers.get('x-request-id')!);
    }
    await expect.poll(() => ids.map((id) => servedBy(s.auditDir).get(id)), { timeout: 5_000 }).toEqual([other, other, other]);

    // With every engine of the model drained, a new request is refused with a retryable 503.
    await submit(page, `section[data-engine="${other}"] form[action$="/engines/drain"] button`);
    const refused = await client.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hola' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((refused as Error).message).toContain('being drained by an operator');

    for (const name of [busy, other]) await submit(page, `section[data-engine="${name}"] form[action$="/engines/resume"] button`);
    expect(await page.$$eval('section[data-drained="true"]', (x) => x.length)).toBe(0);
    await client.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hola [[sim:tokens=2]]' }] });
    stream.controller.abort();
    await reading;

    await expect.poll(async () => (await operatorRecords(s.auditDir)).filter((r) => String(r.action).startsWith('engine_')).map((r) => `${r.action} ${r.target}`), { timeout: 5_000 }).toEqual([
      `engine_drained ${busy}`,
      `engine_drained ${other}`,
      `engine_resumed ${busy}`,
      `engine_resumed ${other}`,
    ]);
    await page.close();
  });
});
