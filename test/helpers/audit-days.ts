import { utcDay } from '../../origin/audit/file-names.ts';
import { verifyDay, type DayReport, type VerifyOptions } from '../../origin/audit/verify.ts';

const DAY_MS = 86_400_000;

/**
 * Verifies every UTC day from `sinceMs` to now and adds the reports up: records land in the file
 * of the day they were written, so a test that runs across midnight UTC writes into two days and
 * must read both (CI once failed at 00:00 reading only the new, empty day).
 */
export async function verifyDaysSince(dir: string, sinceMs: number, opts: VerifyOptions = {}): Promise<DayReport> {
  const days: string[] = [];
  for (let t = sinceMs; utcDay(t) <= utcDay(Date.now()); t += DAY_MS) days.push(utcDay(t));
  const reports = await Promise.all(days.map((d) => verifyDay(dir, d, opts)));
  const sum = (pick: (r: DayReport) => Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    day: days.join(','),
    ok: reports.every((r) => r.ok),
    files: reports.flatMap((r) => r.files),
    records: reports.reduce((n, r) => n + r.records, 0),
    byOutcome: sum((r) => r.byOutcome),
    byTenant: sum((r) => r.byTenant),
    byOperatorAction: sum((r) => r.byOperatorAction),
    errors: reports.flatMap((r) => r.errors),
    warnings: reports.flatMap((r) => r.warnings),
  };
}
