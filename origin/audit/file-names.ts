import { readdir } from 'node:fs/promises';

/**
 * `audit_<node>_<YYYY-MM-DD>_<seq>.jsonl`: one node's files sort by day then sequence, and several
 * origins can share one directory. Day and sequence are parsed from the end, so a node name may
 * itself contain `_`.
 */
const NAME_RE = /^audit_(.+)_(\d{4}-\d{2}-\d{2})_(\d{3,})\.jsonl$/;

export interface AuditFileName {
  name: string;
  node: string;
  day: string;
  seq: number;
}

export function auditFileName(node: string, day: string, seq: number): string {
  return `audit_${node}_${day}_${String(seq).padStart(3, '0')}.jsonl`;
}

export function parseAuditFileName(name: string): AuditFileName | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  return { name, node: m[1]!, day: m[2]!, seq: Number(m[3]) };
}

/** UTC calendar day: files rotate at 00:00 UTC whatever the region's local time. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Audit files in `dir`, oldest first (by node, day, sequence); a missing directory is empty. */
export async function listAuditFiles(dir: string, node?: string): Promise<AuditFileName[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map(parseAuditFileName)
    .filter((f): f is AuditFileName => f !== null && (node === undefined || f.node === node))
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.day < b.day ? -1 : a.day > b.day ? 1 : a.seq - b.seq));
}
