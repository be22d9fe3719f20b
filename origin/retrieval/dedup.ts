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

/**
 * dropNearDuplicates over `n` vectors of `dims` packed in one array (as they travel to a worker
 * thread), answering the indexes dropped. The same greedy rule and the same arithmetic as
 * `cosine`, with each vector's squared norm computed once instead of once per pair: a document's
 * chunks are compared all against all, which is the costly part for large documents.
 */
export function nearDuplicateRows(flat: Float32Array, dims: number, threshold: number): number[] {
  const n = dims > 0 ? flat.length / dims : 0;
  const norms = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = r * dims, end = i + dims; i < end; i++) s += flat[i]! * flat[i]!;
    norms[r] = s;
  }
  const kept: number[] = [];
  const dropped: number[] = [];
  for (let r = 0; r < n; r++) {
    const base = r * dims;
    let dup = false;
    for (const k of kept) {
      let dot = 0;
      for (let i = 0, kb = k * dims; i < dims; i++) dot += flat[kb + i]! * flat[base + i]!;
      const similarity = norms[k]! > 0 && norms[r]! > 0 ? dot / Math.sqrt(norms[k]! * norms[r]!) : 0;
      if (similarity >= threshold) {
        dup = true;
        break;
      }
    }
    (dup ? dropped : kept).push(r);
  }
  return dropped;
}
