/**
 * A value per key, made once and then looked up: per-tenant key names and settings read on every
 * request. The keys come from requests (tenant ids), so once more than `max` are kept every one is
 * forgotten at once and made again when asked for: memory stays bounded under a flood of distinct
 * ids, and a lookup does no bookkeeping (an LRU's would, on every request).
 */
export class MemoByKey<V> {
  private readonly values = new Map<string, V>();

  constructor(
    private readonly make: (key: string) => V,
    private readonly max = 100_000,
  ) {}

  get(key: string): V {
    let v = this.values.get(key);
    if (v === undefined) {
      if (this.values.size > this.max) this.values.clear();
      this.values.set(key, (v = this.make(key)));
    }
    return v;
  }
}
