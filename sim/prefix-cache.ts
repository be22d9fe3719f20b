/**
 * What a loaded model keeps of the prompts it computed, so a prompt that starts like an earlier
 * one prefills only the rest. Two engines, two shapes:
 *
 * - Ollama (runner/ollamarunner/cache.go, single-user mode, the default): every parallel slot
 *   keeps the tokens it last processed. A request takes the idle slot whose tokens share the
 *   longest prefix with its prompt (the first such slot in slot order), the slot keeps only that
 *   prefix, and at least one token is always computed again (the runner needs one to sample).
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
}

/** At least one prompt token is computed, so the runner has one to sample from. */
function reused(chain: PromptChain, blocks: number): number {
  return Math.min(tokensIn(chain, blocks), Math.max(0, chain.tokens - 1));
}

/** Ollama's per-slot cache. Slots are made when first needed; an unmade slot holds nothing. */
export class SlotCache implements PrefixCache {
  private readonly slots: Slot[] = [];

  constructor(private readonly numParallel: () => number) {}

  take(chain: PromptChain): CacheHold {
    let best: Slot | undefined;
    let longest = -1;
    for (const s of this.slots) {
      if (s.inUse) continue;
      const n = s.chain ? commonBlocks(s.chain, s.valid, chain) : 0;
      if (n > longest) {
        longest = n;
        best = s;
      }
    }
    if (!best) {
      // Every made slot is busy: the next one (or one more, should numParallel have shrunk).
      best = { chain: null, valid: 0, inUse: false };
      if (this.slots.length < this.numParallel() || this.slots.length === 0) this.slots.push(best);
      longest = 0;
    }
    const slot = best;
    slot.inUse = true;
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
