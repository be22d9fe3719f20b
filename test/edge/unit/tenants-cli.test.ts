import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkKey } from '../../../shared/tenants.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const cli = (file: string, ...args: string[]) =>
  execFileSync(resolve(ROOT, 'node_modules/.bin/tsx'), [resolve(ROOT, 'scripts/tenants.ts'), ...args, '--file', file], { encoding: 'utf8' });

describe('npm run tenants', () => {
  it('creates a tenant, prints its key once, stores only the hash, and exports wrangler bulk input', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'puerta-cli-')), 'tenants.json');
    const out = cli(file, 'create', 'acme', '--countries', 'de,at', '--requests', '5', '--window', '10', '--models', 'llama3.2:3b');
    const key = /\b(pk_[a-z0-9]{12}_[A-Za-z0-9_-]{43})\b/.exec(out)?.[1];
    expect(key).toBeDefined();
    const raw = readFileSync(file, 'utf8');
    expect(raw).not.toContain(key!);
    const data = JSON.parse(raw) as Record<string, string>;
    const r = await checkKey((k) => data[k] ?? null, key!);
    expect(r.ok && r.value.tenant).toMatchObject({ id: 'acme', countries: ['DE', 'AT'], rateLimit: { requests: 5, windowSeconds: 10 }, models: ['llama3.2:3b'] });

    expect(cli(file, 'list')).toMatch(/acme\tactive\tlimit 5\/10s\tcountries DE,AT/);
    const bulk = JSON.parse(cli(file, 'wrangler-bulk')) as Array<{ key: string; value: string }>;
    expect(bulk.map((e) => e.key).sort()).toEqual(Object.keys(data).sort());
    expect(() => cli(file, 'create', 'acme')).toThrow();
  });
});
