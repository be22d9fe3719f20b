import pino, { type Logger } from 'pino';
import { KEY_HEADERS } from '../shared/routes.ts';
import type { OriginConfig } from './config/schema.ts';

/** Structured JSON logs; bodies and prompts are never logged, only metadata. */
export function createLogger(cfg: OriginConfig['log'], destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: cfg.level,
      base: { service: 'puerta-origin' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every header the route table declares for a tenant key.
      redact: { paths: KEY_HEADERS.map((h) => `req.headers[${JSON.stringify(h)}]`), remove: true },
    },
    destination,
  );
}
