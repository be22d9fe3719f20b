import { cosine } from './vector.ts';

/**
 * Greedy near-duplicate removal in the given order (best first): an item whose vector is at least
 * `threshold` similar to one already kept is dropped, so of each group of near-identical chunks
 * only the first (the most relevant, or the earliest in a document) stays.
 */
export function dropNearDuplicates<T extends { vector: ArrayLike<number> }>(items: readonly T[], threshold: number): { kept: T[]; dropped: T[] } {
  const kept: T[] = [];
  const dropped: T[] = [];
  for (const it of items) {
    if (kept.some((k) => cosine(k.vector, it.vector) >= threshold)) dropped.push(it);
    else kept.push(it);
  }
  return { kept, dropped };
}
