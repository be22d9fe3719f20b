import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadOriginConfig } from '../../origin/config/load.ts';
import { LoginLimiter } from '../../origin/console/login-limit.ts';
import { hashPassword, PASSWORD_HASH_RE, verifyPassword } from '../../origin/console/password.ts';
import { usageCsv } from '../../origin/console/usage-csv.ts';

describe('console parts', () => {
  it('hashes the operator password with a salt and verifies it in constant time', async () => {
    const h = await hashPassword('correct horse battery staple', 1024);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await hashPassword('correct horse battery staple', 1024)).not.toBe(h);
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', h)).toBe(false);
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
  });

  it('npm run console:password, as the README says: the hash of the password on standard input, which the console accepts', async () => {
    const run = (input: string) => spawnSync('npm', ['run', '--silent', 'console:password'], { input, encoding: 'utf8', timeout: 60_000 });
    const ok = run('a long operator password\n');
    expect(ok.status).toBe(0);
    const hash = ok.stdout.trim();
    expect(hash).toMatch(PASSWORD_HASH_RE);
    expect(await verifyPassword('a long operator password', hash)).toBe(true);
    expect(loadOriginConfig({ env: { OLLAMA_URL: 'http://127.0.0.1:9', CONSOLE_USER: 'operator', CONSOLE_PASSWORD_HASH: hash } }).console.passwordHash).toBe(hash);
    const short = run('short\n');
    expect(short.status).toBe(2);
    expect(short.stderr.trim()).toBe('console:password: give a password of at least 12 characters on standard input');
  }, 90_000);

  it('refuses logins past the failures of a minute, says so once, and opens again after it', () => {
    const l = new LoginLimiter(2);
    const t0 = 1_000_000;
    expect(l.retryAfterS(t0)).toBe(0);
    l.failed(t0);
    l.failed(t0 + 1_000);
    expect(l.retryAfterS(t0 + 2_000)).toBe(58);
    expect(l.firstRefusal()).toBe(true);
    expect(l.firstRefusal()).toBe(false);
    expect(l.retryAfterS(t0 + 60_000)).toBe(0);
    expect(l.firstRefusal()).toBe(true);
  });

  it('writes CSV a spreadsheet opens safely: quoted fields, formulas defused', () => {
    const csv = usageCsv([
      { day: '2026-12-04', tenant: 'acme', model: 'hf.co/org/m,1', requests: 2, promptTokens: 3, completionTokens: 4, errors: 0 },
      { day: '2026-12-04', tenant: 'acme', model: '=HYPERLINK("x")', requests: 1, promptTokens: 0, completionTokens: 0, errors: 1 },
    ]);
    expect(csv.split('\r\n')).toEqual([
      'day,tenant,model,requests,prompt_tokens,completion_tokens,errors',
      '2026-12-04,acme,"hf.co/org/m,1",2,3,4,0',
      `2026-12-04,acme,"'=HYPERLINK(""x"")",1,0,0,1`,
      '',
    ]);
  });

  it('is configured by CONSOLE_USER and CONSOLE_PASSWORD_HASH together, and names the missing one', async () => {
    const env = { OLLAMA_URL: 'http://127.0.0.1:9' };
    expect(loadOriginConfig({ env }).console.user).toBeUndefined();
    const hash = await hashPassword('correct horse battery staple', 1024);
    expect(loadOriginConfig({ env: { ...env, CONSOLE_USER: 'ops', CONSOLE_PASSWORD_HASH: hash } }).console).toMatchObject({ user: 'ops', passwordHash: hash });
    expect(() => loadOriginConfig({ env: { ...env, CONSOLE_USER: 'ops' } })).toThrow(/console\.passwordHash.*both CONSOLE_USER and CONSOLE_PASSWORD_HASH/);
    // A password pasted where its hash belongs is named as wrong, never echoed.
    let message = '';
    try {
      loadOriginConfig({ env: { ...env, CONSOLE_USER: 'ops', CONSOLE_PASSWORD_HASH: 'hunter2' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('console.passwordHash = (not shown): an scrypt hash as printed by npm run console:password');
    expect(message).not.toContain('hunter2');
  });
});
