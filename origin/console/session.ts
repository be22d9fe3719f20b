import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'puerta_console';
export const CONSOLE_PATH = '/console';

export interface Session {
  id: string;
  operator: string;
  /** The token every state-changing form carries (csrf.ts). */
  csrf: string;
  expiresAt: number;
}

/**
 * Operator sessions, in this process's memory: a restart logs everyone out, and a browser keeps
 * talking to the replica it logged in to. The cookie is HttpOnly (no script reads it) and
 * SameSite=Strict (no other site's page sends it), scoped to the console's path.
 */
export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly secure: boolean,
  ) {}

  create(operator: string, now = Date.now()): Session {
    this.sweep(now);
    const s: Session = { id: randomBytes(32).toString('base64url'), operator, csrf: randomBytes(32).toString('base64url'), expiresAt: now + this.ttlMs };
    this.byId.set(s.id, s);
    return s;
  }

  of(c: Context, now = Date.now()): Session | undefined {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= now) {
      this.byId.delete(id);
      return undefined;
    }
    return s;
  }

  setCookie(c: Context, s: Session): void {
    setCookie(c, SESSION_COOKIE, s.id, { path: CONSOLE_PATH, httpOnly: true, sameSite: 'Strict', secure: this.secure, maxAge: Math.floor(this.ttlMs / 1000) });
  }

  end(c: Context): void {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) this.byId.delete(id);
    deleteCookie(c, SESSION_COOKIE, { path: CONSOLE_PATH, httpOnly: true, sameSite: 'Strict', secure: this.secure });
  }

  private sweep(now: number): void {
    for (const [id, s] of this.byId) if (s.expiresAt <= now) this.byId.delete(id);
  }
}
