import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditSink } from './sink.ts';

export interface RedisSinkOptions {
  url: string;
  stream: string;
  maxLen: number;
  region: string;
  log: Logger;
}

/**
 * Ships records to a Redis Stream inside the region (one XADD per record, one round trip per
 * batch), for a consumer that loads them into the tenant's archive. The file sink stays the
 * record of truth; this sink is an in-region copy, and an external anchor for the live file.
 */
export class RedisStreamSink implements AuditSink {
  readonly name = 'redis';
  readonly region: string;
  private client: Redis | null = null;

  constructor(private readonly o: RedisSinkOptions) {
    this.region = o.region;
  }

  async open(): Promise<void> {
    // Fail fast rather than queue: a failed batch is kept and retried by the trail itself.
    this.client = new Redis(this.o.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 });
    this.client.on('error', (err: Error) => this.o.log.debug({ err: err.message }, 'audit redis sink connection error'));
    try {
      await this.client.connect();
    } catch (err) {
      // Not fatal: the file sink carries the trail, and batches for Redis wait until it is back.
      this.o.log.warn({ err: (err as Error).message, url: redactUrl(this.o.url) }, 'audit redis sink not reachable at start; batches are kept and retried');
    }
  }

  async write(lines: readonly string[]): Promise<void> {
    const c = this.client;
    if (!c) throw new Error('audit redis sink is not open');
    const status = (): string => c.status;
    if (status() !== 'ready') {
      if (status() === 'wait' || status() === 'end' || status() === 'close') await c.connect().catch(() => {});
      if (status() !== 'ready') throw new Error(`audit redis sink not connected (${status()})`);
    }
    const p = c.pipeline();
    for (const l of lines) p.xadd(this.o.stream, 'MAXLEN', '~', this.o.maxLen, '*', 'r', l);
    const res = await p.exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('audit redis pipeline returned nothing');
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (!c) return;
    try {
      await c.quit();
    } catch {
      c.disconnect();
    }
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
