import type { BodyShape } from '../../shared/routes.ts';
import type { UpstreamDialect } from '../upstream/dialects/dialect.ts';
import type { Persona } from './config.ts';

/**
 * Applies a persona and the pinned keep_alive to an upstream request body; what that means for
 * each engine's body is its upstream dialect's (origin/upstream/dialects/<name>/persona.ts).
 */
export function injectIntoBody(raw: string, shape: BodyShape, dialect: UpstreamDialect, persona: Persona | undefined, pinned: boolean): string {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return raw;
  }
  dialect.applyPersona(body, shape, persona, pinned);
  return JSON.stringify(body);
}
