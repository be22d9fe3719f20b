import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../origin/audit/audit-record.ts';
import { chatJson } from '../helpers/request.ts';

export function tempDir(prefix = 'puerta-audit-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every complete line of every audit file in `dir`, oldest file first. */
export function readAuditLines(dir: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    const end = text.lastIndexOf('\n');
    for (const line of text.slice(0, end + 1).split('\n')) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

export function readAuditRecords(dir: string): AuditRecord[] {
  return readAuditLines(dir).filter((l) => l.type === 'request') as unknown as AuditRecord[];
}

/** The audit tests' chat request (gpt-oss:20b), serialised. */
export const chatBody = (content: string, extra: Record<string, unknown> = {}) => chatJson(content, { model: 'gpt-oss:20b', ...extra });
