import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { deepMerge } from '../../origin/config/load.ts';

export const ADMIN = 'admin-token-'.padEnd(40, 'x');

/** An origin in front of `simUrl` with the given extra config (quota, redis, admission …). */
export function origin(simUrl: string, extra: Record<string, unknown> = {}): Promise<RunningOrigin> {
  const base = { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: simUrl }], admin: { token: ADMIN }, routing: { health: { intervalMs: 0 } } };
  return startOrigin({ env: {}, overrides: deepMerge(base, extra) });
}

export function chat(url: string, opts: { stream?: boolean; tokens?: number; model?: string; maxTokens?: number; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify({
      model: opts.model ?? 'llama3.2:3b',
      stream: opts.stream ?? false,
      ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}),
      messages: [{ role: 'user', content: `hello [[sim:tokens=${opts.tokens ?? 5}]]` }],
    }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

export async function usage(url: string, query = ''): Promise<{ rows: Array<Record<string, number | string>>; totals: Record<string, number> }> {
  const r = await fetch(`${url}/admin/usage${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!r.ok) throw new Error(`usage ${r.status}: ${await r.text()}`);
  return (await r.json()) as never;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` is true (settlement is asynchronous after the response). */
export async function until(fn: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}
