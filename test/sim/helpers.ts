/** Shared by the simulator's tests: fast presets and raw HTTP helpers (byte-level checks). */
import { request } from 'node:http';
import { presets } from '../../sim/presets.ts';
import type { ModelConfig } from '../../sim/types.ts';

/** Small, fast models: short loads, short answers. Simulated times at timeScale 0.01. */
export function fastModels(over: Partial<ModelConfig> = {}): ModelConfig[] {
  return [
    { ...presets['llama3.2-3b'], loadMs: 200, outputTokens: [8, 12], ...over },
    { ...presets['gpt-oss-20b'], loadMs: 300, outputTokens: [8, 12], ...over },
    { ...presets['nomic-embed-text'], loadMs: 100, ...over, kind: 'embedding', thinking: false },
  ];
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function raw(url: string, path: string, body?: unknown, headers: Record<string, string> = {}, method?: string): Promise<RawResponse> {
  const r = await fetch(url + path, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const h: Record<string, string> = {};
  r.headers.forEach((v, k) => (h[k] = v));
  return { status: r.status, headers: h, body: await r.text() };
}

/**
 * Starts a streaming POST and destroys the socket after `afterBytes` bytes of body; resolves
 * with the epoch ms at which the client left.
 */
export function postAndLeave(url: string, path: string, body: unknown, afterBytes = 1): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let seen = 0;
      res.on('data', (c: Buffer) => {
        seen += c.length;
        if (seen >= afterBytes) {
          const at = performance.timeOrigin + performance.now();
          req.destroy();
          resolve(at);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
    });
    req.end(JSON.stringify(body));
  });
}

/** Starts a POST and destroys it after `ms` without waiting for any response. */
export function postAndAbortAfter(url: string, path: string, body: unknown, ms: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url + path, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(JSON.stringify(body));
    setTimeout(() => {
      const at = performance.timeOrigin + performance.now();
      req.destroy();
      resolve(at);
    }, ms);
  });
}

export { sleep, until } from '../helpers/poll.ts';
