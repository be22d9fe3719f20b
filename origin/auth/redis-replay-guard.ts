import type { Logger } from 'pino';
import { readySoon, type RedisClient } from '../redis/client.ts';
import { TurnBatches, type TurnGroup } from '../redis/turn-batches.ts';
import { MemoryReplayGuard, type ReplayGuard } from './edge-signature.ts';
import { MemoByKey } from '../../shared/memo-by-key.ts';

/**
 * `SET <base><nonce> 1 PX ttl NX` for each nonce of one tenant. KEYS 1: the tenant's nonce base
 * (`<prefix>nonce:{tenant}:`; the nonces' own keys share its hash tag, so one Cluster slot).
 * ARGV: nonce, ttl ms, for each. → per nonce: 1 fresh, 0 seen before.
 */
const NONCES_LUA = `
local out = {}
for i = 1, #ARGV, 2 do
  if redis.call('SET', KEYS[1] .. ARGV[i], '1', 'PX', ARGV[i + 1], 'NX') then out[#out + 1] = 1 else out[#out + 1] = 0 end
end
return out
`;

interface NonceScript {
  puertaNonces(base: string, ...args: string[]): Promise<number[]>;
}

/**
 * Nonces shared by every origin replica, so a signed request captured on the way to one replica
 * cannot be replayed to another. A nonce is kept per tenant (`<prefix>nonce:{tenant}:<nonce>`):
 * the tenant is signed with it, so a replay names the same one, and the nonces of one tenant
 * checked in one turn of the event loop go to Redis as one script rather than a SET each. (The
 * previous release kept `<prefix>nonce:<nonce>`, in no tenant's slot: while a rolling upgrade from
 * it runs, replicas of the two releases do not see each other's nonces, for one skew window.)
 * While Redis is unreachable each replica still refuses what it has seen itself: replay
 * protection degrades to per-replica, never to none, and no request waits on Redis longer than
 * its command timeout.
 */
export class RedisReplayGuard implements ReplayGuard {
  private readonly local = new MemoryReplayGuard();
  private warned = false;
  private readonly checking = new TurnBatches<string>((g) => this.send(g));
  private readonly bases = new MemoByKey<string>((tenant) => `${this.keyPrefix}nonce:{${tenant}}:`);

  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly log: Logger,
    /** Longest a check waits for the first connection (a replica that just started must not fail open). */
    private readonly connectWaitMs = 250,
  ) {
    redis.defineCommand('puertaNonces', { numberOfKeys: 1, lua: NONCES_LUA });
  }

  async remember(nonce: string, ttlMs: number, tenant: string): Promise<boolean> {
    const fresh = this.local.remember(nonce, ttlMs);
    if (!fresh) return false;
    try {
      const soon = readySoon(this.redis, this.connectWaitMs);
      if (soon !== true) await soon;
      const g = this.checking.group(tenant, this.base(tenant), NO_HEAD);
      const at = g.join(nonce, String(Math.max(1, Math.ceil(ttlMs))));
      const unseen = (await g.answerOf(at, 'nonce checks')) === 1;
      this.warned = false;
      return unseen;
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        this.log.warn({ err: (err as Error).message }, 'redis unreachable: edge-signature replay protection is per replica until it returns');
      }
      return true;
    }
  }

  private send(g: TurnGroup<string>): Promise<unknown> {
    return (this.redis as unknown as NonceScript).puertaNonces(g.ctx, ...g.args);
  }

  private base(tenant: string): string {
    return this.bases.get(tenant);
  }
}

const NO_HEAD: readonly string[] = [];
