import { join } from 'node:path';
import { ChainHasher } from './chain.ts';
import { listAuditFiles, utcDay, type AuditFileName } from './file-names.ts';
import { prefixHash, scanAuditFile, type ScannedFile } from './file-scan.ts';

export interface FileReport {
  file: string;
  node: string;
  records: number;
  sealed: boolean;
  errors: string[];
  warnings: string[];
}

export interface DayReport {
  day: string;
  ok: boolean;
  files: FileReport[];
  records: number;
  byOutcome: Record<string, number>;
  byTenant: Record<string, number>;
  /** Operator actions taken in the console (origin/audit/operator-record.ts), by action. */
  byOperatorAction: Record<string, number>;
  errors: string[];
  warnings: string[];
}

export interface VerifyOptions {
  node?: string;
  /** The chain key (AUDIT_CHAIN_KEY) when files were chained with HMAC. */
  chainKey?: string;
  /** Today's UTC day; an unsealed last file of an earlier day is an error, of today a live file. */
  today?: string;
}

/**
 * Verifies every file of one UTC day: each file's chain against its seal, each header's link
 * against the file before it (which may be of the previous day), counts, and structure. An
 * edited or deleted line breaks a hash or a count; a truncated file loses its seal (and no
 * longer matches the next file's header); a missing file breaks the next header's link.
 */
export async function verifyDay(dir: string, day: string, opts: VerifyOptions = {}): Promise<DayReport> {
  const today = opts.today ?? utcDay(Date.now());
  const all = await listAuditFiles(dir, opts.node);
  const report: DayReport = { day, ok: true, files: [], records: 0, byOutcome: {}, byTenant: {}, byOperatorAction: {}, errors: [], warnings: [] };
  const scans = new Map<string, Promise<ScannedFile>>();
  const hasher = new ChainHasher(opts.chainKey);
  const scan = (f: AuditFileName) => {
    let p = scans.get(f.name);
    if (!p) scans.set(f.name, (p = scanAuditFile(join(dir, f.name), hasher)));
    return p;
  };

  const nodes = [...new Set(all.map((f) => f.node))];
  for (const node of nodes) {
    const list = all.filter((f) => f.node === node);
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      if (f.day !== day) continue;
      const fr: FileReport = { file: f.name, node, records: 0, sealed: false, errors: [], warnings: [] };
      report.files.push(fr);
      const s = await scan(f);
      fr.errors.push(...s.problems);
      if (!s.header) continue;
      if (s.header.chain === 'hmac-sha256' && !opts.chainKey) fr.errors.push('file is chained with HMAC: give the chain key (AUDIT_CHAIN_KEY) to verify it');
      if (s.header.chain === 'sha256' && opts.chainKey) fr.warnings.push('a chain key was given but this file is chained with plain SHA-256');
      if (s.header.file !== f.name || s.header.day !== f.day || s.header.node !== node) fr.errors.push(`header names ${s.header.file} (${s.header.node}, ${s.header.day}): the file was renamed or moved`);
      fr.records = s.records.length;
      fr.sealed = s.seal !== null;
      if (s.seal) {
        if (s.seal.records !== s.records.length) fr.errors.push(`seal counts ${s.seal.records} records, the file has ${s.records.length}: lines were removed or added`);
        else if (s.seal.hash !== s.hash) fr.errors.push('hash chain does not match the seal: a record was edited or reordered');
        if (s.tornBytes > 0) fr.errors.push(`${s.tornBytes} bytes after the seal`);
      } else {
        const next = list[i + 1];
        if (s.tornBytes > 0) fr.warnings.push(`last line incomplete (${s.tornBytes} bytes): the process died while writing`);
        if (!next) {
          if (day < today) fr.errors.push('not sealed and no file follows: the file was truncated (its seal removed), or the writer died and never restarted');
          else fr.warnings.push('not sealed yet: the live file (or the writer died); its tail is anchored once it is sealed or the next file starts');
        }
      }
      // The link from the previous file (possibly the previous day's last).
      const prevName = list[i - 1];
      const link = s.header.prev;
      if (!prevName) {
        if (link) fr.warnings.push(`chain continues from ${link.file}, which is not in ${dir}`);
      } else if (!link) {
        fr.errors.push(`header starts a new chain but ${prevName.name} precedes it: the chain was restarted`);
      } else if (link.file !== prevName.name) {
        fr.errors.push(`header links to ${link.file} but the file before it is ${prevName.name}: a file is missing or was added`);
      } else {
        const p = await scan(prevName);
        if (p.seal && !link.recovered) {
          if (link.records !== p.seal.records || link.hash !== p.seal.hash || p.seal.hash !== p.hash || p.seal.records !== p.records.length) {
            fr.errors.push(`link to ${prevName.name} does not match it (${link.records} records expected, ${p.records.length} found, or the hash differs): that file was changed`);
          }
        } else if (link.recovered) {
          if (link.records > p.records.length) fr.errors.push(`link to ${prevName.name} expects ${link.records} records, it has ${p.records.length}: that file was truncated`);
          else if (prefixHash(p, link.records, hasher) !== link.hash) fr.errors.push(`link to ${prevName.name} does not match its first ${link.records} records: that file was changed`);
          else if (p.records.length > link.records) fr.warnings.push(`${p.records.length - link.records} records of ${prevName.name} after its recovery point (a batch whose write failed) are outside the chain`);
          if (p.seal) fr.errors.push(`link to ${prevName.name} says it was not sealed, but it is: the seal was added later`);
        } else {
          fr.errors.push(`link to ${prevName.name} says it was sealed, but it has no seal: it was truncated`);
        }
      }
      for (const line of s.records) {
        let r: { type?: string; outcome?: string; tenant?: string; action?: string };
        try {
          r = JSON.parse(line) as typeof r;
        } catch {
          continue;
        }
        if (r.type === 'operator') {
          report.byOperatorAction[r.action ?? '?'] = (report.byOperatorAction[r.action ?? '?'] ?? 0) + 1;
          continue;
        }
        report.byOutcome[r.outcome ?? '?'] = (report.byOutcome[r.outcome ?? '?'] ?? 0) + 1;
        report.byTenant[r.tenant ?? '?'] = (report.byTenant[r.tenant ?? '?'] ?? 0) + 1;
      }
      report.records += s.records.length;
    }
  }
  for (const f of report.files) {
    for (const e of f.errors) report.errors.push(`${f.file}: ${e}`);
    for (const w of f.warnings) report.warnings.push(`${f.file}: ${w}`);
  }
  if (report.files.length === 0) report.warnings.push(`no audit files for ${day} in ${dir}${opts.node ? ` (node ${opts.node})` : ''}`);
  report.ok = report.errors.length === 0;
  return report;
}
