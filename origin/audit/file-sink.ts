import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ChainHasher, type HeaderLine, type PrevLink, type SealLine } from './chain.ts';
import { auditFileName, listAuditFiles, utcDay } from './file-names.ts';
import { scanAuditFile } from './file-scan.ts';
import type { AuditSink } from './sink.ts';

export interface FileSinkOptions {
  dir: string;
  region: string;
  node: string;
  maxFileBytes: number;
  fsync: boolean;
  chainKey?: string;
  log: Logger;
  /** Injected clock (tests cross midnight without waiting for it). */
  now?: () => number;
}

interface OpenFile {
  fh: FileHandle;
  name: string;
  day: string;
  bytes: number;
  records: number;
  hash: string;
}

/**
 * JSON Lines files with a hash chain (see chain.ts), one batch per write followed by fdatasync:
 * when `write` resolves, the batch survives a crash or power loss. Files rotate at the UTC day
 * and at `maxFileBytes`; each is sealed when it rotates and at shutdown. After a crash the last
 * file stays as it was (evidence) and the next file's header records where its chain ended.
 */
export class FileSink implements AuditSink {
  readonly name: string;
  readonly region: string;
  private readonly hasher: ChainHasher;
  private readonly now: () => number;
  private cur: OpenFile | null = null;
  /** Link the next file's header carries to the end of the previous file. */
  private prev: PrevLink | null = null;

  constructor(private readonly o: FileSinkOptions) {
    this.name = 'file';
    this.region = o.region;
    this.hasher = new ChainHasher(o.chainKey);
    this.now = o.now ?? Date.now;
  }

  async open(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true, mode: 0o750 });
    const files = await listAuditFiles(this.o.dir, this.o.node);
    const last = files[files.length - 1];
    if (!last) return;
    const scan = await scanAuditFile(join(this.o.dir, last.name), this.hasher);
    if (scan.seal) {
      this.prev = { file: last.name, records: scan.seal.records, hash: scan.seal.hash };
      return;
    }
    // The process died with this file open: continue the chain from its last complete line.
    this.prev = { file: last.name, records: scan.records.length, hash: scan.hash, recovered: true, ...(scan.tornBytes ? { tornBytes: scan.tornBytes } : {}) };
    this.o.log.warn({ file: last.name, records: scan.records.length, tornBytes: scan.tornBytes, problems: scan.problems }, 'audit: previous file was not sealed (crash); the new file links to its last complete record');
  }

  private async nextSeq(day: string): Promise<number> {
    const files = await listAuditFiles(this.o.dir, this.o.node);
    let max = -1;
    for (const f of files) if (f.day === day && f.seq > max) max = f.seq;
    return max + 1;
  }

  private async create(day: string): Promise<OpenFile> {
    const seq = await this.nextSeq(day);
    const name = auditFileName(this.o.node, day, seq);
    const header: HeaderLine = {
      type: 'header',
      v: 1,
      file: name,
      day,
      seq,
      region: this.o.region,
      node: this.o.node,
      chain: this.hasher.algorithm,
      createdAt: new Date(this.now()).toISOString(),
      prev: this.prev,
    };
    const line = JSON.stringify(header);
    // 'wx': never append to or overwrite an existing file, whatever the clock says.
    const fh = await open(join(this.o.dir, name), 'wx', 0o640);
    const data = line + '\n';
    await fh.write(data);
    if (this.o.fsync) {
      await fh.datasync();
      await syncDir(this.o.dir);
    }
    return { fh, name, day, bytes: Buffer.byteLength(data), records: 0, hash: this.hasher.start(line) };
  }

  private async seal(reason: SealLine['reason']): Promise<void> {
    const f = this.cur;
    if (!f) return;
    this.cur = null;
    const seal: SealLine = { type: 'seal', records: f.records, hash: f.hash, sealedAt: new Date(this.now()).toISOString(), reason };
    try {
      await f.fh.write(JSON.stringify(seal) + '\n');
      if (this.o.fsync) await f.fh.datasync();
      this.prev = { file: f.name, records: f.records, hash: f.hash };
    } finally {
      await f.fh.close().catch(() => {});
    }
  }

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const day = utcDay(this.now());
    let data = '';
    for (const l of lines) data += l + '\n';
    const bytes = Buffer.byteLength(data);
    if (this.cur && (this.cur.day !== day || (this.cur.records > 0 && this.cur.bytes + bytes > this.o.maxFileBytes))) {
      await this.seal(this.cur.day !== day ? 'day' : 'size');
    }
    this.cur ??= await this.create(day);
    const f = this.cur;
    let hash = f.hash;
    for (const l of lines) hash = this.hasher.next(hash, l);
    try {
      await f.fh.write(data);
      if (this.o.fsync) await f.fh.datasync();
    } catch (err) {
      // Part of the batch may be on disk: this file ends here, unsealed. The next file links to the
      // last batch known to be complete, and the batch is retried there.
      this.cur = null;
      this.prev = { file: f.name, records: f.records, hash: f.hash, recovered: true };
      await f.fh.close().catch(() => {});
      throw err;
    }
    f.hash = hash;
    f.records += lines.length;
    f.bytes += bytes;
  }

  /** Current file (tests and the CLI's status). */
  current(): { name: string; records: number } | null {
    return this.cur ? { name: this.cur.name, records: this.cur.records } : null;
  }

  async close(): Promise<void> {
    await this.seal('shutdown');
  }
}

/** Makes a new file's directory entry durable, not only its contents. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the file's own data is synced regardless.
  } finally {
    await fh?.close().catch(() => {});
  }
}
