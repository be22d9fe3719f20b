import { z } from 'zod';
import { PASSWORD_HASH_RE } from './password.ts';

/**
 * The operator console (origin/console/): off unless an operator credential is configured.
 * The credential is the console's own, never a tenant key or the admin API's token.
 */
export const consoleConfigSchema = z
  .object({
    /** The operator's login name, recorded with every action in the audit trail. */
    user: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'letters, digits, . _ @ - (up to 64)').optional(),
    /** scrypt hash of the operator's password, as `npm run console:password` prints it. */
    passwordHash: z.string().regex(PASSWORD_HASH_RE, 'an scrypt hash as printed by npm run console:password (scrypt$N$r$p$salt$hash)').optional(),
    /** A session lasts this long after its login. */
    sessionTtlMs: z.coerce.number().int().min(60_000).default(8 * 3_600_000),
    /** Failed logins allowed per minute (all sources together) before logins are refused for the rest of it. */
    loginFailuresPerMinute: z.coerce.number().int().min(1).default(5),
    /** The tenants file the console edits; defaults to auth.tenantsFile, else .puerta/tenants.json. */
    tenantsFile: z.string().min(1).optional(),
    /** Mark the session cookie Secure (set when the console is reached over HTTPS). */
    secureCookie: z.preprocess((v) => (typeof v === 'string' ? /^(true|1|yes|on)$/i.test(v.trim()) : v), z.boolean()).default(false),
    /**
     * The edge's public URL, where the "Try it" page sends its request (browser → edge → origin,
     * like any client). The edge must list the console's own origin in CORS_ALLOWED_ORIGINS.
     */
    edgeUrl: z
      .url({ protocol: /^https?$/, error: 'an http(s) URL of the edge, e.g. https://llm.example.eu' })
      .transform((u) => new URL(u).origin)
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.user) !== Boolean(c.passwordHash)) {
      ctx.addIssue({ code: 'custom', path: [c.user ? 'passwordHash' : 'user'], message: 'the console needs both CONSOLE_USER and CONSOLE_PASSWORD_HASH (or neither: then it is off)' });
    }
  })
  .prefault({});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export const consoleEnabled = (c: ConsoleConfig): c is ConsoleConfig & { user: string; passwordHash: string } => Boolean(c.user && c.passwordHash);

export const CONSOLE_ENV: ReadonlyArray<readonly [env: string, path: string]> = [
  ['CONSOLE_USER', 'console.user'],
  ['CONSOLE_PASSWORD_HASH', 'console.passwordHash'],
  ['CONSOLE_SESSION_TTL_MS', 'console.sessionTtlMs'],
  ['CONSOLE_LOGIN_FAILURES_PER_MINUTE', 'console.loginFailuresPerMinute'],
  ['CONSOLE_TENANTS_FILE', 'console.tenantsFile'],
  ['CONSOLE_SECURE_COOKIE', 'console.secureCookie'],
  ['CONSOLE_EDGE_URL', 'console.edgeUrl'],
];
