import { exportTenant } from '../audit/export.ts';
import { listAuditFiles } from '../audit/file-names.ts';
import { verifyDay, type DayReport } from '../audit/verify.ts';

export interface AuditDay {
  day: string;
  files: number;
  nodes: string[];
  /** The last verification run from the console, if any. */
  verified: { at: number; ok: boolean; records: number; errors: string[]; warnings: string[]; operatorActions: number; files: number; sealed: number } | null;
}

/**
 * The audit directory's days and what the console last found when it verified each one (with
 * origin/audit/verify.ts, the same check as `npm run audit -- verify`).
 */
export class AuditDays {
  private readonly last = new Map<string, NonNullable<AuditDay['verified']>>();

  constructor(
    readonly dir: string,
    private readonly chainKey: string | undefined,
  ) {}

  async list(): Promise<AuditDay[]> {
    const files = await listAuditFiles(this.dir);
    const days = new Map<string, { files: number; nodes: Set<string> }>();
    for (const f of files) {
      const d = days.get(f.day) ?? { files: 0, nodes: new Set<string>() };
      d.files++;
      d.nodes.add(f.node);
      days.set(f.day, d);
    }
    return [...days.entries()]
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([day, d]) => ({ day, files: d.files, nodes: [...d.nodes].sort(), verified: this.last.get(day) ?? null }));
  }

  async verify(day: string): Promise<DayReport> {
    const r = await verifyDay(this.dir, day, this.chainKey ? { chainKey: this.chainKey } : {});
    this.remember(r);
    return r;
  }

  /** What a verification found of its day, for the page. */
  private remember(r: DayReport): void {
    const operatorActions = Object.values(r.byOperatorAction).reduce((a, b) => a + b, 0);
    this.last.set(r.day, { at: Date.now(), ok: r.ok, records: r.records, errors: r.errors, warnings: r.warnings, operatorActions, files: r.files.length, sealed: r.files.filter((f) => f.sealed).length });
  }

  /**
   * One tenant's records of the days `from`..`to` as the JSON Lines they were written as, with the
   * same function as `npm run audit -- export`: every day is verified first, and a day whose chain
   * is broken is named in `failed` and not handed over (the CLI's --force is for investigations).
   */
  async exportTenant(tenant: string, from: string, to: string): Promise<{ lines: string[]; failed: string[]; days: number }> {
    const lines: string[] = [];
    const r = await exportTenant(this.dir, { tenant, from, to, ...(this.chainKey ? { chainKey: this.chainKey } : {}) }, (line) => lines.push(line));
    for (const day of r.days) this.remember(day);
    return { lines, failed: r.failed, days: r.days.length };
  }
}
