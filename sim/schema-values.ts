import { mulberry32 } from './text.ts';

/**
 * Deterministic JSON values that satisfy a JSON schema, the way a grammar-constrained model fills
 * one: every declared property present, in declaration order (Ollama turns `format` and tool
 * parameters into a grammar over exactly that shape). Used for structured output and for the
 * arguments of simulated tool calls.
 */
const words = ['alpha', 'bravo', 'café', 'delta', 'niño', 'región', 'señal', 'tango', 'über', 'zulu'];

type Schema = Record<string, unknown>;

function asSchema(v: unknown): Schema {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Schema) : {};
}

export function valueForSchema(schema: unknown, seed: number): unknown {
  const rnd = mulberry32(seed);
  return fill(asSchema(schema), rnd, 0);
}

function fill(s: Schema, rnd: () => number, depth: number): unknown {
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[Math.floor(rnd() * s.enum.length)];
  const alt = (Array.isArray(s.anyOf) && s.anyOf) || (Array.isArray(s.oneOf) && s.oneOf) || undefined;
  if (alt && alt.length > 0) return fill(asSchema(alt[0]), rnd, depth);
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') as string | undefined) : (s.type as string | undefined);
  switch (type ?? (s.properties ? 'object' : 'string')) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 5) return out;
      const props = asSchema(s.properties);
      for (const [k, v] of Object.entries(props)) out[k] = fill(asSchema(v), rnd, depth + 1);
      return out;
    }
    case 'array': {
      if (depth > 5) return [];
      const min = typeof s.minItems === 'number' ? s.minItems : 2;
      const n = Math.max(0, Math.min(min, 4));
      return Array.from({ length: n }, () => fill(asSchema(s.items), rnd, depth + 1));
    }
    case 'integer':
      return Math.floor(rnd() * 100);
    case 'number':
      return Math.round(rnd() * 10_000) / 100;
    case 'boolean':
      return rnd() < 0.5;
    case 'null':
      return null;
    default: {
      const n = 1 + Math.floor(rnd() * 3);
      return Array.from({ length: n }, () => words[Math.floor(rnd() * words.length)]).join(' ');
    }
  }
}

/**
 * Splits JSON text into model-sized tokens (punctuation alone, words with their trailing space),
 * so a structured answer streams in many chunks and concatenates back to the exact text.
 */
export function jsonTokens(text: string): string[] {
  return text.match(/[{}[\]:,]|[^{}[\]:,\s]+\s*|\s+/g) ?? [];
}
