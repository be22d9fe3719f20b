import { z } from 'zod';
import { errors } from '../../shared/errors.ts';
import { dayOf } from '../quota/day.ts';
import type { QuotaService } from '../quota/service.ts';
import type { UsageRow } from '../quota/types.ts';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day, YYYY-MM-DD');
export const usageQuerySchema = z.object({
  tenant: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  from: day.optional(),
  to: day.optional(),
});

export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  errors: number;
}

export interface UsageAnswer {
  from: string;
  to: string;
  store: 'redis' | 'memory';
  rows: UsageRow[];
  totals: UsageTotals;
}

function totals(rows: UsageRow[]): UsageTotals {
  const t = { requests: 0, promptTokens: 0, completionTokens: 0, errors: 0 };
  for (const r of rows) {
    t.requests += r.requests;
    t.promptTokens += r.promptTokens;
    t.completionTokens += r.completionTokens;
    t.errors += r.errors;
  }
  return t;
}

/**
 * Usage per tenant, day and model, for the admin API (/admin/usage) and the console alike:
 * validates the query (a bad field is a 400 naming it), defaults the days to today, sorts the rows.
 */
export async function queryUsage(quota: QuotaService | undefined, query: Record<string, string>): Promise<UsageAnswer> {
  const q = usageQuerySchema.safeParse(query);
  if (!q.success) {
    const i = q.error.issues[0]!;
    throw errors.badRequest(`${i.path.join('.')}: ${i.message}`, i.path.join('.'));
  }
  if (!quota) throw errors.notFound('usage accounting is not enabled in this origin');
  const today = dayOf(Date.now());
  const from = q.data.from ?? q.data.to ?? today;
  const to = q.data.to ?? (q.data.from ? today : from);
  let rows: UsageRow[];
  try {
    rows = await quota.usage({ from, to, ...(q.data.tenant ? { tenant: q.data.tenant } : {}), ...(q.data.model ? { model: q.data.model } : {}) });
  } catch (err) {
    if (err instanceof Error && /YYYY-MM-DD|before|calendar/.test(err.message)) throw errors.badRequest(err.message, 'from');
    throw errors.upstreamUnavailable(`usage store unavailable: ${(err as Error).message}`, 2);
  }
  rows.sort((a, b) => a.day.localeCompare(b.day) || a.tenant.localeCompare(b.tenant) || a.model.localeCompare(b.model));
  return { from, to, store: quota.store.kind, rows, totals: totals(rows) };
}
