import pino, { type Logger } from 'pino';
import type { OriginConfig } from './config/schema.ts';

/** Structured JSON logs; bodies and prompts are never logged, only metadata. */
export function createLogger(cfg: OriginConfig['log'], destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: cfg.level,
      base: { service: 'puerta-origin' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]'], remove: true },
    },
    destination,
  );
}
