import type { TopKSettings } from './config.ts';

/**
 * The dynamic top-k: candidates (best first) above the relevance floor, at least `min` of them
 * when there are, then more while each stays within `gap` of the previous one, up to `max`.
 * Returns how many of `scores` to keep.
 */
export function dynamicK(scores: readonly number[], s: TopKSettings): number {
  let k = 0;
  for (let i = 0; i < scores.length && k < s.max; i++) {
    const sc = scores[i]!;
    if (sc < s.floor) break;
    if (k >= s.min && scores[i - 1]! - sc > s.gap) break;
    k++;
  }
  return k;
}
