import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { deepMerge } from '../../origin/config/load.ts';
import { postChat } from '../helpers/request.ts';

export const ADMIN = 'admin-token-'.padEnd(40, 'x');

/** An origin in front of `simUrl` with the given extra config (quota, redis, admission …). */
export function origin(simUrl: string, extra: Record<string, unknown> = {}): Promise<RunningOrigin> {
  const base = { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: simUrl }], admin: { token: ADMIN }, routing: { health: { intervalMs: 0 } } };
  return startOrigin({ env: {}, overrides: deepMerge(base, extra) });
}

export function chat(url: string, opts: { stream?: boolean; tokens?: number; model?: string; maxTokens?: number; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
  return postChat(
    url,
    `hello [[sim:tokens=${opts.tokens ?? 5}]]`,
    { ...(opts.model ? { model: opts.model } : {}), stream: opts.stream ?? false, ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}) },
    { ...(opts.headers ? { headers: opts.headers } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
  );
}

export async function usage(url: string, query = ''): Promise<{ rows: Array<Record<string, number | string>>; totals: Record<string, number> }> {
  const r = await fetch(`${url}/admin/usage${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!r.ok) throw new Error(`usage ${r.status}: ${await r.text()}`);
  return (await r.json()) as never;
}

/** `n` chats one after another, alternating between two replicas; the status of each, body read. */
export async function alternatingChats(a: { url: string }, b: { url: string }, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await chat((i % 2 ? b : a).url);
    statuses.push(r.status);
    await r.text();
  }
  return statuses;
}

export { sleep, until } from '../helpers/poll.ts';
