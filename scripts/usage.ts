/**
 * Usage per tenant, day and model, from a running origin's admin API.
 *
 *   npm run usage -- [--tenant acme] [--model gpt-oss:20b] [--from 2025-01-01] [--to 2025-01-31] [--json]
 *
 * PUERTA_ORIGIN_URL (default http://127.0.0.1:8080) and ADMIN_TOKEN say where and as whom;
 * --url and --token override them.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { UsageRow } from '../origin/quota/types.ts';
import { cliArgs } from '../shared/cli.ts';

export interface UsageArgs {
  url: string;
  token: string;
  tenant?: string;
  model?: string;
  from?: string;
  to?: string;
}

type Row = UsageRow;

export async function fetchUsage(a: UsageArgs): Promise<{ from: string; to: string; rows: Row[]; totals: Omit<Row, 'day' | 'tenant' | 'model'> }> {
  const q = new URLSearchParams();
  for (const k of ['tenant', 'model', 'from', 'to'] as const) if (a[k]) q.set(k, a[k]!);
  const res = await fetch(`${a.url.replace(/\/$/, '')}/admin/usage?${q}`, { headers: { authorization: `Bearer ${a.token}` }, signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as { error?: { message?: string } | string };
  if (!res.ok) {
    const msg = typeof body.error === 'string' ? body.error : body.error?.message;
    throw new Error(`origin answered ${res.status}: ${msg ?? 'no message'}`);
  }
  return body as never;
}

export function formatUsage(rows: Row[], totals: Omit<Row, 'day' | 'tenant' | 'model'>): string {
  const head = ['day', 'tenant', 'model', 'requests', 'prompt_tokens', 'completion_tokens', 'errors'];
  const table = [head, ...rows.map((r) => [r.day, r.tenant, r.model, r.requests, r.promptTokens, r.completionTokens, r.errors].map(String))];
  table.push(['total', '', '', String(totals.requests), String(totals.promptTokens), String(totals.completionTokens), String(totals.errors)]);
  const widths = head.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const USAGE = `usage: npm run usage -- [flags]   (built: puerta-usage [flags])

  usage per tenant, day and model from a running origin's admin API

  --url URL        the origin (default $PUERTA_ORIGIN_URL, else http://127.0.0.1:8080)
  --token TOKEN    the admin token (default $ADMIN_TOKEN)
  --tenant ID      one tenant only
  --model NAME     one model only
  --from DAY       first day, YYYY-MM-DD
  --to DAY         last day, YYYY-MM-DD
  --json           the answer as JSON instead of a table
  --help           this text`;

async function main(): Promise<void> {
  const { values } = cliArgs({
    name: 'usage',
    usage: USAGE,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      tenant: { type: 'string' },
      model: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const token = values.token ?? process.env.ADMIN_TOKEN;
  if (!token) throw new Error('no admin token: set ADMIN_TOKEN or pass --token');
  const out = await fetchUsage({
    url: values.url ?? process.env.PUERTA_ORIGIN_URL ?? 'http://127.0.0.1:8080',
    token,
    ...(values.tenant ? { tenant: values.tenant } : {}),
    ...(values.model ? { model: values.model } : {}),
    ...(values.from ? { from: values.from } : {}),
    ...(values.to ? { to: values.to } : {}),
  });
  console.log(values.json ? JSON.stringify(out, null, 2) : `usage ${out.from} .. ${out.to}\n${formatUsage(out.rows, out.totals)}`);
}

// Run as a command (tsx, `node dist/cli/usage.js`, or the `puerta-usage` bin link), not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`usage: ${(err as Error).message}`);
    process.exit(1);
  });
}
