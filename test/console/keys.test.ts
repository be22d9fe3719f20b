import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTenants, readTenantsFile } from '../../edge/cli/tenants-file.ts';
import { login, operatorRecords, startConsoleStack, submit, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
beforeAll(async () => {
  s = await startConsoleStack();
});
afterAll(() => s?.close());

describe('console: tenants and keys', () => {
  it('issues a key (shown once) that the openai client can use, revokes it, and the client gets 401', async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    expect(page.url()).toBe(`${s.console}/now`);

    await page.goto(`${s.console}/tenants`);
    await page.type('input[name=id]', 'acme');
    await page.type('input[name=models]', 'gpt-oss:20b');
    await submit(page, 'form[action$="/console/tenants"] button[type=submit]');
    const key = (await page.$eval('#issued-key', (el) => el.textContent ?? '')).trim();
    expect(key).toMatch(/^pk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    // Only its hash is stored, and reloading the page does not show it again.
    expect(JSON.stringify(readTenantsFile(s.tenantsFile))).not.toContain(key);
    await page.goto(`${s.console}/tenants`);
    expect(await page.content()).not.toContain(key);

    const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: key, maxRetries: 0 });
    // The origin reads the tenants file when it changes: the new key works once it has.
    await expect.poll(async () => (await fetch(`${s.origin.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status, { timeout: 15_000 }).toBe(200);
    const ok = await client.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hola [[sim:tokens=3]]' }] });
    expect(ok.choices[0]?.message.role).toBe('assistant');

    const keyId = key.slice(3, 15);
    await submit(page, `li[data-key="${keyId}"] button`);
    expect(await page.$eval(`li[data-key="${keyId}"]`, (el) => el.textContent)).toContain('revoked');
    expect(listTenants(readTenantsFile(s.tenantsFile))[0]!.keys[0]!.status).toBe('revoked');

    // The origin rereads the tenants file within seconds.
    await expect
      .poll(
        async () => {
          try {
            await client.models.list();
            return 'accepted';
          } catch (err) {
            return err instanceof OpenAI.AuthenticationError ? `401 ${err.code}` : String(err);
          }
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBe('401 revoked_api_key');

    // Each action is in the audit trail with the operator's name; the key itself never is.
    await expect.poll(async () => (await operatorRecords(s.auditDir)).map((r) => `${r.operator} ${r.action} ${r.target ?? ''}`), { timeout: 5_000 }).toEqual([
      'operator login ',
      'operator tenant_created acme',
      `operator key_issued acme/${keyId}`,
      `operator key_revoked acme/${keyId}`,
    ]);
    expect(JSON.stringify(await operatorRecords(s.auditDir))).not.toContain(key.slice(16));
    await page.close();
  });
});

describe('console: tenant limits and the edge export', () => {
  it("edits a tenant's allowed models and rate limit, shows today's use, and exports the KV data with hashes only", async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    await page.goto(`${s.console}/tenants`);
    await page.type('input[name=id]', 'initech');
    await submit(page, 'form[action$="/console/tenants"] button[type=submit]');
    const key = (await page.$eval('#issued-key', (el) => el.textContent ?? '')).trim();

    const models = 'form[action$="/tenants/initech/edit"] input[name=models]';
    await page.$eval(models, (i) => ((i as HTMLInputElement).value = ''));
    await page.type(models, 'llama3.2:3b');
    await page.$eval('form[action$="/tenants/initech/edit"] input[name=requests]', (i) => ((i as HTMLInputElement).value = '30'));
    await page.select('form[action$="/tenants/initech/edit"] select[name=window]', '10');
    await submit(page, 'form[action$="/tenants/initech/edit"] button');
    expect(await page.$eval('.notice', (n) => n.textContent)).toBe('tenant initech: models llama3.2:3b, 30 requests per 10 s');
    const t = listTenants(readTenantsFile(s.tenantsFile)).find((x) => x.tenant.id === 'initech')!.tenant;
    expect(t).toMatchObject({ models: ['llama3.2:3b'], rateLimit: { requests: 30, windowSeconds: 10 } });

    // The origin (keys mode) enforces the new allow-list once it rereads the file; its use shows on the page.
    const client = new OpenAI({ baseURL: `${s.origin.url}/v1`, apiKey: key, maxRetries: 0 });
    await expect.poll(async () => (await client.models.list().catch(() => ({ data: [] }))).data.map((m) => m.id), { timeout: 10_000 }).toEqual(['llama3.2:3b']);
    await client.chat.completions.create({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hola [[sim:tokens=4]]' }] });
    await expect.poll(async () => {
      await page.goto(`${s.console}/tenants`);
      return page.$eval('tr[data-tenant="initech"] td.today', (td) => td.textContent);
    }).toMatch(/^1 requests, \d+ tokens$/);

    const res = await page.evaluate(async () => (await fetch('/console/tenants/export/workers.json')).json());
    expect(res).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'tenant:initech' })]));
    expect(JSON.stringify(res)).not.toContain(key);
    await page.close();
  });
});
