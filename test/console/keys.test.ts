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
