import { readFile } from 'node:fs/promises';
import { ChainHasher, headerLineSchema, sealLineSchema, type HeaderLine, type SealLine } from './chain.ts';

export interface ScannedFile {
  header: HeaderLine | null;
  headerLine: string;
  /** Record lines, as written (the chain is computed over these exact strings). */
  records: string[];
  seal: SealLine | null;
  /** Chain hash after the header and every complete record line. */
  hash: string;
  /** Bytes after the last newline (a write the process did not finish). */
  tornBytes: number;
  /** Structural problems: a bad header, lines after the seal, unparsable lines. */
  problems: string[];
}

/**
 * Reads one audit file and recomputes its chain. Used by the writer (to continue the chain after
 * a restart) and by the verifier; never modifies the file: a crashed file is evidence as it is.
 */
export async function scanAuditFile(path: string, hasher: ChainHasher): Promise<ScannedFile> {
  const text = await readFile(path, 'utf8');
  const lastNl = text.lastIndexOf('\n');
  const tornBytes = Buffer.byteLength(text.slice(lastNl + 1));
  const lines = lastNl < 0 ? [] : text.slice(0, lastNl).split('\n');
  const out: ScannedFile = { header: null, headerLine: '', records: [], seal: null, hash: '', tornBytes, problems: [] };
  if (lines.length === 0) {
    out.problems.push('file has no complete header line');
    return out;
  }
  const headerLine = lines[0]!;
  let header: unknown;
  try {
    header = JSON.parse(headerLine);
  } catch {
    out.problems.push('line 1 is not JSON (expected the header)');
    return out;
  }
  const h = headerLineSchema.safeParse(header);
  if (!h.success) {
    out.problems.push(`line 1 is not a valid header: ${h.error.issues[0]?.path.join('.')} ${h.error.issues[0]?.message}`);
    return out;
  }
  out.header = h.data;
  out.headerLine = headerLine;
  let hash = hasher.start(headerLine);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (out.seal) {
      out.problems.push(`line ${i + 1}: content after the seal`);
      break;
    }
    if (line.startsWith('{"type":"seal"')) {
      const s = safeJson(line);
      const parsed = sealLineSchema.safeParse(s);
      if (parsed.success) {
        out.seal = parsed.data;
        continue;
      }
      out.problems.push(`line ${i + 1}: malformed seal`);
      continue;
    }
    if (!(line.startsWith('{"type":"request"') || line.startsWith('{"type":"operator"')) || safeJson(line) === undefined) {
      out.problems.push(`line ${i + 1}: not a request or operator record`);
    }
    out.records.push(line);
    hash = hasher.next(hash, line);
  }
  out.hash = hash;
  return out;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Chain hash after the header and the first `n` records (where a crash-recovered link points). */
export function prefixHash(scan: ScannedFile, n: number, hasher: ChainHasher): string {
  let hash = hasher.start(scan.headerLine);
  for (let i = 0; i < n && i < scan.records.length; i++) hash = hasher.next(hash, scan.records[i]!);
  return hash;
}
