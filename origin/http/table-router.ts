import type { Result, Router } from 'hono/router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';

/**
 * Hono's own router, with its answer for each of the route table's fixed paths kept after the
 * first match. The table's patterns (`:model{.+:generateContent}`) put Hono on its trie router,
 * which makes a params object for every pattern it passes and a new result on every match;
 * `/v1/chat/completions` has the same answer every time. Only the paths `kept` names are kept
 * (the table's own, no parameters), so what clients send cannot grow it; the rest are matched as
 * Hono matches them. Hono's router takes no route after its first match, so a kept answer never
 * goes stale.
 */
export class TableRouter<T> implements Router<T> {
  name = 'TableRouter';
  private readonly inner: Router<T> = new SmartRouter<T>({ routers: [new RegExpRouter<T>(), new TrieRouter<T>()] });
  private readonly answers = new Map<string, Map<string, Result<T>>>();

  constructor(private readonly kept: ReadonlyMap<string, ReadonlySet<string>>) {}

  add(method: string, path: string, handler: T): void {
    this.inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const known = this.answers.get(method)?.get(path);
    if (known !== undefined) return known;
    const result = this.inner.match(method, path);
    if (this.kept.get(method)?.has(path)) {
      let byPath = this.answers.get(method);
      if (!byPath) this.answers.set(method, (byPath = new Map()));
      byPath.set(path, result);
    }
    return result;
  }
}
