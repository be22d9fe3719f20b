import type { z } from 'zod';

/**
 * A route's body schema narrowed to the fields the body has. Zod runs every field of an object
 * schema on every parse, present or not (a payload and an issue list each), and a chat body names
 * three or four of its twenty; most of a parse was the fields nobody sent. A field that may be
 * absent and then yields nothing (`.optional()`, `.nullish()`: absent in, absent out) adds
 * neither a value nor an issue when it is absent, so leaving it out of the schema for a body that
 * lacks it changes nothing zod answers: the same value, the same keys in the same order (the
 * shape's order is kept), the same issues. Every other field (required, defaulted) stays in.
 * An object schema with its own checks (refinements read the whole object), anything that is not
 * a plain object schema, and a value that is not a plain object are parsed by the schema as it is.
 */

/** Narrowed schemas kept per schema; past this many sets of fields, a body is parsed by the whole schema. */
const MAX_NARROWED = 64;

interface Narrowing {
  /** The fields that may be left out, by position in the shape (a bit each). */
  omittable: Map<string, number>;
  /** The shape's keys in order, each with its bit (-1: always kept). */
  order: Array<[string, number]>;
  narrowed: Map<number, z.ZodType>;
}

const narrowings = new WeakMap<z.ZodType, Narrowing | null>();

type Pickable = z.ZodType & { shape: Record<string, z.ZodType>; pick(mask: Record<string, true>): z.ZodType };

function narrowingOf(schema: z.ZodType): Narrowing | null {
  const def = schema._zod.def as { type: string; checks?: unknown[] };
  if (def.type !== 'object' || (def.checks?.length ?? 0) > 0 || typeof (schema as Partial<Pickable>).pick !== 'function') return null;
  // Fields are named by strings here; a symbol-keyed field would be lost from the narrowed schema.
  if (Object.getOwnPropertySymbols((schema as Pickable).shape).length > 0) return null;
  const omittable = new Map<string, number>();
  const order: Array<[string, number]> = [];
  for (const [key, field] of Object.entries((schema as Pickable).shape)) {
    // A key Object.prototype has is "in" every body, as zod tests presence: never left out.
    const omit = field._zod.optin === 'optional' && field._zod.optout === 'optional' && !(key in Object.prototype) && omittable.size < 31;
    const bit = omit ? omittable.size : -1;
    if (omit) omittable.set(key, bit);
    order.push([key, bit]);
  }
  return omittable.size > 0 ? { omittable, order, narrowed: new Map() } : null;
}

/** `schema`, or the same schema without the omittable fields `value` lacks. */
export function schemaForBody<S extends z.ZodType>(schema: S, value: unknown): S {
  const n = narrowing(schema);
  const present = n ? presentBits(n, value) : -1;
  if (!n || present === -1) return schema;
  let narrowed = n.narrowed.get(present);
  if (!narrowed) {
    if (n.narrowed.size >= MAX_NARROWED) return schema;
    n.narrowed.set(present, (narrowed = pick(schema, n, present)));
  }
  return narrowed as S;
}

/** schemaForBody's answer built afresh, never from (or into) the kept ones: for tests. */
export function narrowedAfresh<S extends z.ZodType>(schema: S, value: unknown): S {
  const n = narrowing(schema);
  const present = n ? presentBits(n, value) : -1;
  return !n || present === -1 ? schema : (pick(schema, n, present) as S);
}

function narrowing(schema: z.ZodType): Narrowing | null {
  let n = narrowings.get(schema);
  if (n === undefined) narrowings.set(schema, (n = narrowingOf(schema)));
  return n;
}

/** The omittable fields `value` has, a bit each; -1 when it is not a plain object. */
function presentBits(n: Narrowing, value: unknown): number {
  if (!value || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return -1;
  // Zod tests presence with `in`; on a plain object that is its own keys (for..in lists them).
  let present = 0;
  for (const key in value) {
    const bit = n.omittable.get(key);
    if (bit !== undefined) present |= 1 << bit;
  }
  return present;
}

function pick(schema: z.ZodType, n: Narrowing, present: number): z.ZodType {
  const mask: Record<string, true> = {};
  for (const [key, bit] of n.order) if (bit === -1 || present & (1 << bit)) mask[key] = true;
  return (schema as unknown as Pickable).pick(mask);
}
