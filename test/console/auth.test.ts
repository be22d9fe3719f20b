import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, getTenant, putTenant, readTenantsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { startLocalEdge, type RunningEdge } from '../../edge/local/index.ts';
import { startOriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { login, OPERATOR, operatorRecords, startConsoleStack, type ConsoleStack } from './harness.ts';

let s: ConsoleStack;
beforeAll(async () => {
  s = await startConsoleStack();
  const data = readTenantsFile(s.tenantsFile);
  putTenant(data, { id: 'acme' });
  await addKey(data, 'acme');
  writeTenantsFile(s.tenantsFile, data);
});
afterAll(() => s?.close());

const form = (o: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams(o).toString() });

/** A session as the browser would hold it, plus the page's CSRF token. */
async function session(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${s.console}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.origin.url }, body: new URLSearchParams(OPERATOR).toString() });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const html = await (await fetch(`${s.console}/tenants`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]! };
}

const suspend = (headers: Record<string, string>, body: string) => fetch(`${s.console}/tenants/acme/suspend`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
const acmeStatus = () => getTenant(readTenantsFile(s.tenantsFile), 'acme')!.status;

describe('console: authentication and CSRF', () => {
  it('sends a browser without a session to the login page, and refuses events and actions with 401', async () => {
    const page = await s.browser.newPage();
    await page.goto(`${s.console}/tenants`);
    expect(page.url()).toBe(`${s.console}/login`);
    for (const root of [s.console, `${s.console}/`]) {
      await page.goto(root);
      expect(page.url(), root).toBe(`${s.console}/login`);
    }
    expect((await fetch(`${s.console}/events/now`)).status).toBe(401);
    expect((await fetch(`${s.console}/usage.csv`)).status).toBe(401);
    const r = await fetch(`${s.console}/keys/abcdefabcdef/revoke`, { method: 'POST', ...form({}) });
    expect(r.status).toBe(401);
    await page.close();
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, scoped to /console', async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    const [c] = (await page.browserContext().cookies()).filter((x) => x.name === 'puerta_console');
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.close();
  });

  it('refuses an action without the CSRF token, with a wrong one, or from another origin', async () => {
    const { cookie, csrf } = await session();
    expect((await suspend({ cookie, origin: s.origin.url }, '')).status).toBe(403);
    const wrong = await suspend({ cookie, origin: s.origin.url }, new URLSearchParams({ _csrf: 'guess' }).toString());
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain('wrong_token');
    const cross = await suspend({ cookie, origin: 'http://evil.example' }, new URLSearchParams({ _csrf: csrf }).toString());
    expect(cross.status).toBe(403);
    expect(await cross.text()).toContain('cross_origin');
    const site = await suspend({ cookie, 'sec-fetch-site': 'cross-site' }, new URLSearchParams({ _csrf: csrf }).toString());
    expect(site.status).toBe(403);
    expect(acmeStatus()).toBe('active');
    // The same request from the console's own page works.
    expect((await suspend({ cookie, origin: s.origin.url }, new URLSearchParams({ _csrf: csrf }).toString())).status).toBe(200);
    expect(acmeStatus()).toBe('suspended');
    const ok = await fetch(`${s.console}/tenants/acme/activate`, { method: 'POST', headers: { cookie, origin: s.origin.url, 'x-csrf-token': csrf } });
    expect(ok.status).toBe(200);
    expect(acmeStatus()).toBe('active');
  });

  it("does not act on another site's form in a logged-in browser (the cookie stays home)", async () => {
    const page = await s.browser.newPage();
    await login(page, s.console);
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form method="post" action="${s.console}/tenants/acme/suspend"><input name="_csrf" value="guess"><button>win a prize</button></form>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.2', r));
    try {
      await page.goto(`http://127.0.0.2:${(evil.address() as AddressInfo).port}/`);
      const [res] = await Promise.all([page.waitForNavigation(), page.click('button')]);
      expect(res?.status()).toBe(401);
      expect(acmeStatus()).toBe('active');
    } finally {
      evil.close();
      await page.close();
    }
  });

  it('answers at the origin only: the edge does not forward /console', async () => {
    let edge: RunningEdge | undefined;
    try {
      edge = await startLocalEdge({ originUrl: s.origin.url, runtime: 'workers', tenantsFile: s.tenantsFile, secretsFile: `${s.dir}/edge-secrets.json` });
      for (const path of ['/console/login', '/console/now', '/console/static/console.js']) {
        expect((await fetch(`${edge.url}${path}`)).status, path).toBe(404);
      }
      expect((await fetch(`${edge.url}/console/login`, { method: 'POST', ...form(OPERATOR) })).status).toBe(404);
      expect((await fetch(`${s.console}/login`)).status).toBe(200);
    } finally {
      await edge?.close();
    }
  });

  it('is off (404) unless an operator credential is configured', async () => {
    const plain = await startOriginStack();
    try {
      expect((await fetch(`${plain.origin.url}/console/login`)).status).toBe(404);
      expect((await fetch(`${plain.origin.url}/console/login`, { method: 'POST', ...form(OPERATOR) })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  // Last: it uses up this minute's failed logins.
  it('refuses a wrong password, then rate-limits logins (even the right password) with Retry-After', async () => {
    const page = await s.browser.newPage();
    await login(page, s.console, 'wrong password');
    expect(page.url()).toBe(`${s.console}/login`);
    expect(await page.$eval('.error', (e) => e.textContent)).toBe('Wrong operator name or password.');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${s.console}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.origin.url }, body: new URLSearchParams({ user: 'root', password: `guess${i}` }).toString() });
      statuses.push(r.status);
      if (r.status === 429) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    await login(page, s.console);
    expect(page.url()).toBe(`${s.console}/login`);
    expect(await page.$eval('.error', (e) => e.textContent)).toMatch(/Too many failed logins: try again in \d+ s\./);
    await expect.poll(async () => (await operatorRecords(s.auditDir)).filter((r) => r.action === 'login_refused').map((r) => `${r.operator} ${r.reason}`), { timeout: 5_000 }).toEqual([
      'operator wrong_credentials',
      ...Array(4).fill('(unknown) wrong_credentials'),
      // Once per minute however many are refused: a login flood does not flood the trail.
      '(unknown) rate_limited',
    ]);
    await page.close();
  });
});
