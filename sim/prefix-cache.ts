/**
 * What a loaded model keeps of the prompts it computed, so a prompt that starts like an earlier
 * one prefills only the rest. Two engines, two shapes:
 *
 * - Ollama (runner/ollamarunner/cache.go): every parallel slot keeps the tokens it last
 *   processed, and at least one prompt token is always computed again (the runner needs one to
 *   sample). Single-user mode (the default): a request takes the idle slot whose tokens share the
 *   longest prefix with its prompt (the first such slot in slot order) and the slot keeps only
 *   that prefix. Multi-user mode (OLLAMA_MULTIUSER_CACHE): a slot whose whole prompt the new one
 *   continues is reused; otherwise the least recently used idle slot is taken and the longest
 *   shared prefix found in any slot is copied into it.
 * - vLLM (automatic prefix caching): one pool of KV blocks shared by every request, looked up by
 *   block digest, least recently used blocks evicted first.
 *
 * Both are bounded: slots by numParallel, the vLLM pool by block count. Unloading the model drops
 * the cache with it.
 */
import { commonBlocks, tokensIn, type PromptChain } from './prompt-chain.ts';

/** One request's hold on the cache, from the slot's grant to its release. */
export interface CacheHold {
  /** Prompt tokens already in the cache: prefill computes the rest. */
  readonly cachedTokens: number;
  /** The whole prompt is computed now (the next request can reuse all of it). */
  filled(): void;
  release(): void;
}

export interface PrefixCache {
  /** Called when the request gets its slot. */
  take(chain: PromptChain): CacheHold;
}

interface Slot {
  chain: PromptChain | null;
  /** Blocks of `chain` that are in the KV cache. */
  valid: number;
  inUse: boolean;
  /** Takes so far when this slot was last taken (the runner's lastUsed, as an order). */
  lastUsed: number;
}

/** At least one prompt token is computed, so the runner has one to sample from. */
function reused(chain: PromptChain, blocks: number): number {
  return Math.min(tokensIn(chain, blocks), Math.max(0, chain.tokens - 1));
}

/**
 * Ollama's per-slot cache. Slots are made when first needed; an unmade slot holds nothing and has
 * never been used, as the runner's slots are before their first request.
 */
export class SlotCache implements PrefixCache {
  private readonly slots: Slot[] = [];
  private takes = 0;

  constructor(private readonly numParallel: () => number, private readonly multiUser: boolean) {}

  private shared(s: Slot, chain: PromptChain): number {
    return s.chain ? commonBlocks(s.chain, s.valid, chain) : 0;
  }

  /** A slot never used yet, while the model has one; else undefined. */
  private unmade(): Slot | undefined {
    if (this.slots.length >= this.numParallel()) return undefined;
    const s: Slot = { chain: null, valid: 0, inUse: false, lastUsed: 0 };
    this.slots.push(s);
    return s;
  }

  /** findLongestCacheSlot: the idle slot sharing the most, the first one on a tie. */
  private longest(chain: PromptChain): [Slot | undefined, number] {
    let best: Slot | undefined;
    let longest = -1;
    for (const s of this.slots) {
      if (s.inUse) continue;
      const n = this.shared(s, chain);
      if (n > longest) {
        longest = n;
        best = s;
      }
    }
    return best ? [best, longest] : [this.unmade(), 0];
  }

  /**
   * findBestCacheSlot: the longest shared prefix in any slot, busy or not. Its slot when the
   * prompt continues all of it (all but the last block, which held the generation prompt that the
   * next turn replaces with the answer) and it is idle; else the least recently used idle slot,
   * with that prefix copied in.
   */
  private best(chain: PromptChain): [Slot | undefined, number] {
    let longestSlot: Slot | undefined;
    let longest = 0;
    let oldest: Slot | undefined;
    for (const s of this.slots) {
      const n = this.shared(s, chain);
      if (n > longest) {
        longest = n;
        longestSlot = s;
      }
      if (!s.inUse && (!oldest || s.lastUsed < oldest.lastUsed)) oldest = s;
    }
    if (longestSlot && !longestSlot.inUse && longest >= longestSlot.valid - 1) return [longestSlot, longest];
    return [this.unmade() ?? oldest, longest];
  }

  take(chain: PromptChain): CacheHold {
    let [slot, longest] = this.multiUser ? this.best(chain) : this.longest(chain);
    if (!slot) {
      // Every slot is busy (numParallel shrank under running requests): a slot of its own.
      slot = { chain: null, valid: 0, inUse: false, lastUsed: 0 };
      longest = 0;
    }
    slot.inUse = true;
    slot.lastUsed = ++this.takes;
    // The slot keeps the shared prefix only; the prompt's own blocks follow as they are computed.
    slot.chain = chain;
    slot.valid = longest;
    return {
      cachedTokens: reused(chain, longest),
      filled: () => {
        if (slot.chain === chain) slot.valid = chain.digests.length;
      },
      release: () => {
        slot.inUse = false;
      },
    };
  }
}

/** vLLM's shared block pool: a Map in least-recently-used order (oldest first). */
export class BlockCache implements PrefixCache {
  private readonly blocks = new Map<number, true>();

  constructor(private readonly capacity: number) {}

  take(chain: PromptChain): CacheHold {
    let n = 0;
    for (; n < chain.digests.length; n++) {
      const d = chain.digests[n] as number;
      if (!this.blocks.has(d)) break;
      this.touch(d);
    }
    return {
      cachedTokens: reused(chain, n),
      filled: () => {
        for (const d of chain.digests) this.touch(d);
      },
      release: () => undefined,
    };
  }

  private touch(d: number): void {
    this.blocks.delete(d);
    this.blocks.set(d, true);
    if (this.blocks.size > this.capacity) {
      const oldest = this.blocks.keys().next().value;
      if (oldest !== undefined) this.blocks.delete(oldest);
    }
  }
}
