import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/**
 * The hash chain over an audit file. The header line starts it (h = H(header)), each record line
 * extends it (h = H(h + "\n" + line)), and the seal line at the end states the record count and
 * the final hash. The next file's header names the previous file, its count and final hash, so
 * the chain runs across files and days: an edited, removed, reordered or truncated line changes
 * the hash or the count and no longer matches the seal or the next header.
 *
 * H is SHA-256, or HMAC-SHA256 when a chain key is configured: then rewriting a file and its
 * seal consistently also needs the key, which the auditor holds and the disk does not.
 */
export type ChainAlgorithm = 'sha256' | 'hmac-sha256';

export class ChainHasher {
  readonly algorithm: ChainAlgorithm;
  /** Imported once: an HMAC keyed by a string would import the key again for every line. */
  private readonly key: KeyObject | undefined;
  constructor(key?: string) {
    this.algorithm = key ? 'hmac-sha256' : 'sha256';
    this.key = key ? createSecretKey(Buffer.from(key, 'utf8')) : undefined;
  }
  private h(data: string): string {
    // Plain SHA-256 one-shot, without a Hash object per line.
    return this.key ? createHmac('sha256', this.key).update(data).digest('hex') : hash('sha256', data, 'hex');
  }
  start(headerLine: string): string {
    return this.h(headerLine);
  }
  next(prev: string, line: string): string {
    return this.h(prev + '\n' + line);
  }
}

/** Where the previous file of this node's chain ended (absent for the very first file). */
export const prevLinkSchema = z.object({
  file: z.string(),
  records: z.number().int().nonnegative(),
  hash: z.string(),
  /** The previous file was not sealed (the process died); `records` counts its complete lines. */
  recovered: z.boolean().optional(),
  /** Bytes of a partial last line left by the crash, ignored by the chain. */
  tornBytes: z.number().int().nonnegative().optional(),
});
export type PrevLink = z.infer<typeof prevLinkSchema>;

export const headerLineSchema = z.object({
  type: z.literal('header'),
  v: z.literal(1),
  file: z.string(),
  day: z.string(),
  seq: z.number().int().nonnegative(),
  region: z.string(),
  node: z.string(),
  chain: z.enum(['sha256', 'hmac-sha256']),
  createdAt: z.string(),
  prev: prevLinkSchema.nullable(),
});
export type HeaderLine = z.infer<typeof headerLineSchema>;

export const sealLineSchema = z.object({
  type: z.literal('seal'),
  records: z.number().int().nonnegative(),
  hash: z.string(),
  sealedAt: z.string(),
  reason: z.enum(['day', 'size', 'shutdown', 'write_error']),
});
export type SealLine = z.infer<typeof sealLineSchema>;
