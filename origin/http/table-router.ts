import type { Result, Router } from 'hono/router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';

/** A route of the table, as the router sees it. */
export interface TableRoute {
  method: string;
  path: string;
}

const honoRouter = <T>(): Router<T> => new SmartRouter<T>({ routers: [new RegExpRouter<T>(), new TrieRouter<T>()] });

/**
 * Hono's own router, with the route table's routes answered alone. A route of the table is one
 * entry that does its request's whole work (origin/app.ts, http/one-handler.ts), so a request
 * for it matches that entry and nothing else: Hono calls a lone match directly, where several
 * take its general path. Every other entry (`app.use` middleware, health, admin, batch, ...) is
 * matched as Hono matches it, for every path the table does not serve (not-found included).
 *
 * The answer for each of the table's fixed paths is kept after the first match. The table's
 * patterns (`:model{.+:generateContent}`) put Hono on its trie router, which makes a params
 * object for every pattern it passes and a new result on every match; `/v1/chat/completions` has
 * the same answer every time. Only the table's own paths (no parameters) are kept, so what
 * clients send cannot grow it. Hono's router takes no route after its first match, so a kept
 * answer never goes stale.
 */
export class TableRouter<T> implements Router<T> {
  name = 'TableRouter';
  private readonly table: Router<T> = honoRouter<T>();
  private readonly rest: Router<T> = honoRouter<T>();
  private readonly routes: ReadonlySet<string>;
  /** The table's fixed paths by method, and their kept answers: nested maps, no key built per request. */
  private readonly kept = new Map<string, Set<string>>();
  private readonly answers = new Map<string, Map<string, Result<T>>>();

  constructor(routes: readonly TableRoute[]) {
    this.routes = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const r of routes) {
      if (r.path.includes('/:')) continue;
      let paths = this.kept.get(r.method);
      if (!paths) this.kept.set(r.method, (paths = new Set()));
      paths.add(r.path);
    }
  }

  add(method: string, path: string, handler: T): void {
    (this.routes.has(`${method} ${path}`) ? this.table : this.rest).add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const known = this.answers.get(method)?.get(path);
    if (known !== undefined) return known;
    let result = this.table.match(method, path);
    if (result[0].length === 0) result = this.rest.match(method, path);
    if (this.kept.get(method)?.has(path)) {
      let byPath = this.answers.get(method);
      if (!byPath) this.answers.set(method, (byPath = new Map()));
      byPath.set(path, result);
    }
    return result;
  }
}
