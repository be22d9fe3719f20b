/**
 * The targets the hostile suite attacks, each the real thing on loopback: the edge on workerd,
 * the edge on Viceroy (when the lead's build of it exists), each in front of an edge-signed origin
 * and the simulator, and an origin alone in `auth.mode: keys` (no edge to hide behind). Requests
 * go out through `rawRequest`, which sends the path bytes exactly as given (fetch would normalise
 * them first, and an attacker's client does not).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SimOptions } from '../../sim/index.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { startEdgeStack, writeTestTenants, type EdgeStack, type TenantName } from '../edge/harness/stack.ts';

export type TargetName = 'workerd' | 'viceroy' | 'origin-keys';

export interface Target {
  name: TargetName;
  url: string;
  keys: Record<TenantName, string>;
  /** The origin serving it (the edge's origin, or the target itself). */
  origin: OriginStack;
  close(): Promise<void>;
}

export const viceroyAvailable = existsSync(join(homedir(), '.cache/puerta/viceroy/bin/viceroy'));

/** The targets of this machine: workerd and the keys-mode origin always, Viceroy when built. */
export function targetNames(): TargetName[] {
  return viceroyAvailable ? ['workerd', 'viceroy', 'origin-keys'] : ['workerd', 'origin-keys'];
}

export interface TargetOptions {
  /** Origin config over the target's own (auth stays the target's). */
  origin?: Record<string, unknown>;
  sim?: Partial<SimOptions>;
  logger?: Logger;
}

export async function startTarget(name: TargetName, opts: TargetOptions = {}): Promise<Target> {
  if (name === 'origin-keys') {
    const dir = mkdtempSync(join(tmpdir(), 'puerta-hostile-'));
    const { file, keys } = await writeTestTenants(dir);
    const origin = await startOriginStack({
      origin: { ...opts.origin, auth: { mode: 'keys', tenantsFile: file } },
      ...(opts.sim ? { sim: opts.sim } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    return { name, url: origin.origin.url, keys, origin, close: () => origin.close() };
  }
  const s: EdgeStack = await startEdgeStack(name === 'viceroy' ? 'fastly' : 'workers', { edgeConfig: { DEFAULT_COUNTRY: 'DE' }, ...(opts.sim?.timeScale !== undefined ? { timeScale: opts.sim.timeScale } : {}) });
  return { name, url: s.edge.url, keys: s.keys, origin: s.origin, close: () => s.close() };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** One HTTP/1.1 request with the path sent byte for byte; bounded by `timeoutMs` (a hang is a failure). */
export function rawRequest(
  base: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Uint8Array; timeoutMs?: number },
): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: Number(u.port), method: opts.method ?? 'GET', path: opts.path, headers: opts.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer to ${opts.method ?? 'GET'} ${opts.path} within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

/** The field an error body names: OpenAI's `error.param`, or (Ollama's string errors) the text itself. */
export function errorText(r: RawResponse): string {
  const j = r.json as { error?: unknown } | undefined;
  if (!j || j.error === undefined) return '';
  return typeof j.error === 'string' ? j.error : JSON.stringify(j.error);
}

/** A raw connection that sends `head` (and optionally more), and reports what came back and when it closed. */
export function openRaw(url: string, head: string): { socket: Socket; received: () => string; closed: Promise<number> } {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  let got = '';
  const t0 = Date.now();
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  socket.on('error', () => {});
  socket.write(head);
  const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - t0)));
  return { socket, received: () => got, closed };
}
