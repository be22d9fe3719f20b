import { join } from 'node:path';
import { ChainHasher } from './chain.ts';
import { listAuditFiles } from './file-names.ts';
import { scanAuditFile } from './file-scan.ts';
import { verifyDay, type DayReport } from './verify.ts';

export interface ExportOptions {
  tenant: string;
  /** First and last UTC day, inclusive (YYYY-MM-DD). */
  from: string;
  to: string;
  node?: string;
  chainKey?: string;
  /** Export even from days whose verification failed (the report says so). */
  force?: boolean;
}

export interface ExportResult {
  records: number;
  days: DayReport[];
  /** Days that failed verification (exported only with force). */
  failed: string[];
}

/**
 * A tenant's records for an audit, as the JSON Lines they were written as, each day verified
 * first: records from a day whose chain is broken are not handed over unless forced.
 */
export async function exportTenant(dir: string, o: ExportOptions, write: (line: string) => void): Promise<ExportResult> {
  const files = (await listAuditFiles(dir, o.node)).filter((f) => f.day >= o.from && f.day <= o.to);
  const days = [...new Set(files.map((f) => f.day))].sort();
  const hasher = new ChainHasher(o.chainKey);
  const out: ExportResult = { records: 0, days: [], failed: [] };
  const needle = `"tenant":${JSON.stringify(o.tenant)},`;
  for (const day of days) {
    const report = await verifyDay(dir, day, { ...(o.node ? { node: o.node } : {}), ...(o.chainKey ? { chainKey: o.chainKey } : {}) });
    out.days.push(report);
    if (!report.ok) {
      out.failed.push(day);
      if (!o.force) continue;
    }
    for (const f of files.filter((x) => x.day === day)) {
      const s = await scanAuditFile(join(dir, f.name), hasher);
      for (const line of s.records) {
        // Cheap prefilter on the serialized key, then an exact check on the parsed record.
        if (!line.includes(needle)) continue;
        try {
          if ((JSON.parse(line) as { tenant?: string }).tenant !== o.tenant) continue;
        } catch {
          continue;
        }
        write(line);
        out.records++;
      }
    }
  }
  return out;
}
