import type { UsageRow } from '../quota/types.ts';

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading = + - @ is defused for spreadsheets. */
function field(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function usageCsv(rows: readonly UsageRow[]): string {
  const out = ['day,tenant,model,requests,prompt_tokens,completion_tokens,errors'];
  for (const r of rows) out.push([r.day, r.tenant, r.model, r.requests, r.promptTokens, r.completionTokens, r.errors].map(field).join(','));
  return out.join('\r\n') + '\r\n';
}
