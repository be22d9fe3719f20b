import type { Logger } from 'pino';
import { recordedModel, type RequestObserver } from './core/record.ts';

/** One JSON line per finished request: metadata only, never prompt or completion text. */
export function accessLog(log: Logger): RequestObserver {
  return {
    onEnd(rec) {
      const level = rec.status !== undefined && rec.status >= 500 ? 'warn' : 'info';
      // Below the configured level the line is never written: nothing is built for it.
      if (!log.isLevelEnabled(level)) return;
      log[level](
        {
          requestId: rec.requestId,
          route: rec.route,
          tenant: rec.tenant.id,
          model: recordedModel(rec),
          upstream: rec.upstream,
          stream: rec.stream,
          status: rec.status,
          outcome: rec.outcome,
          errorCode: rec.errorCode ?? undefined,
          ttftMs: rec.firstByteAt !== undefined ? rec.firstByteAt - rec.receivedAt : undefined,
          durationMs: (rec.endedAt ?? Date.now()) - rec.receivedAt,
          promptTokens: rec.promptTokens,
          completionTokens: rec.completionTokens,
          bytesOut: rec.bytesOut,
        },
        'request',
      );
    },
  };
}
