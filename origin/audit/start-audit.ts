import type { Logger } from 'pino';
import type { Observers } from '../core/record.ts';
import type { AuditConfig } from './config.ts';
import { FileSink } from './file-sink.ts';
import { RedisStreamSink } from './redis-sink.ts';
import type { AuditSink } from './sink.ts';
import { AuditTrail, type AuditEvents } from './trail.ts';

/**
 * Builds the configured sinks and the trail, recovers the file chain, and registers the trail
 * as an observer. Returns null (after saying so in the log) when no sink is configured.
 */
export async function startAudit(cfg: AuditConfig, observers: Observers, log: Logger, events?: AuditEvents): Promise<AuditTrail | null> {
  const sinks: AuditSink[] = [];
  if (cfg.file.dir) {
    sinks.push(new FileSink({ dir: cfg.file.dir, region: cfg.file.region ?? cfg.region, node: cfg.node, maxFileBytes: cfg.file.maxFileBytes, fsync: cfg.file.fsync, chainKey: cfg.chainKey, log }));
  }
  if (cfg.redis.url && cfg.redis.region) {
    sinks.push(new RedisStreamSink({ url: cfg.redis.url, stream: cfg.redis.stream, maxLen: cfg.redis.maxLen, region: cfg.redis.region, log }));
  }
  if (sinks.length === 0) {
    log.warn('audit trail disabled: no sink configured (set AUDIT_DIR, and AUDIT_REQUIRED=true in production)');
    return null;
  }
  const trail = new AuditTrail(cfg, sinks, log, events);
  await trail.open();
  observers.add(trail);
  log.info({ region: cfg.region, node: cfg.node, sinks: sinks.map((s) => `${s.name}@${s.region}`), batchWindowMs: cfg.batchWindowMs }, 'audit trail open');
  return trail;
}
