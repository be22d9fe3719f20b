import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Env } from './lifecycle.ts';
import { sendJson } from './native-sink.ts';
import { handleEmbed, handleEmbeddings, handleGenerate, handlePs, handleShow, handleTags } from './native.ts';
import { handleOpenAI, openAIError, openAIMiddlewareError } from './openai.ts';
import { HttpError } from './request.ts';

/** Ollama's allowedHostsMiddleware for a loopback listener. */
export function hostAllowed(hostHeader: string | undefined): boolean {
  let host = hostHeader ?? '';
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.includes(':') && isIP(host) !== 6) host = host.slice(0, host.lastIndexOf(':'));
  host = host.toLowerCase();
  if (isIP(host)) return isLocalAddress(host);
  if (host === '' || host === 'localhost' || host === hostname().toLowerCase()) return true;
  return host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal');
}

function isLocalAddress(ip: string): boolean {
  if (ip === '::1' || ip === '::' || ip.startsWith('fc') || ip.startsWith('fd')) return true;
  const p = ip.split('.').map(Number);
  if (p.length !== 4) return false;
  const [a = 0, b = 0] = p;
  return a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

type Handler = (env: Env, req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const routes: Record<string, Handler> = {
  'GET /': (_e, _q, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 17 });
    res.end('Ollama is running');
  },
  'HEAD /': (_e, _q, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 17 });
    res.end();
  },
  'GET /api/version': (env, _q, res) => sendJson(res, 200, { version: env.opts.version }),
  'GET /api/tags': (env, _q, res) => handleTags(env, res),
  'GET /api/ps': (env, _q, res) => handlePs(env, res),
  'POST /api/show': handleShow,
  'POST /api/chat': (env, req, res) => handleGenerate(env, req, res, true),
  'POST /api/generate': (env, req, res) => handleGenerate(env, req, res, false),
  'POST /api/embed': handleEmbed,
  'POST /api/embeddings': handleEmbeddings,
  'POST /v1/chat/completions': (env, req, res) => handleOpenAI(env, req, res, 'chat'),
  'POST /v1/completions': (env, req, res) => handleOpenAI(env, req, res, 'completions'),
  'POST /v1/embeddings': (env, req, res) => handleOpenAI(env, req, res, 'embeddings'),
  'GET /v1/models': (env, req, res) => handleOpenAI(env, req, res, 'models'),
  'GET /metrics': async (env, _q, res) => {
    // Only the vLLM persona has it; Ollama answers its gin 404.
    if (!env.vllm) {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 18 });
      res.end('404 page not found');
      return;
    }
    const text = await env.vllm.render();
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  },
  'GET /_sim/stats': (env, _q, res) => sendJson(res, 200, env.stats.snapshot()),
  'POST /_sim/reset': (env, _q, res) => {
    env.stats.reset();
    sendJson(res, 200, { ok: true });
  },
};

const oneModel: Handler = (env, req, res) => handleOpenAI(env, req, res, 'model');

const knownPaths = new Set(Object.keys(routes).map((r) => r.slice(r.indexOf(' ') + 1)));

export function createSimServer(env: Env): Server {
  const server = createServer({ keepAliveTimeout: 5000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    void dispatch(env, req, res);
  });
  server.maxConnections = 100_000;
  return server;
}

async function dispatch(env: Env, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const isV1 = path.startsWith('/v1/');
  try {
    if (env.opts.hostCheck && !path.startsWith('/_sim/') && !hostAllowed(req.headers.host)) {
      env.stats.rejected(403);
      res.writeHead(403, { 'Content-Length': 0 });
      res.end();
      return;
    }
    const handler = routes[`${req.method ?? 'GET'} ${path}`] ?? (req.method === 'GET' && path.startsWith('/v1/models/') ? oneModel : undefined);
    if (!handler && knownPaths.has(path)) {
      // gin's HandleMethodNotAllowed, which Ollama turns on.
      res.writeHead(405, { 'Content-Type': 'text/plain', 'Content-Length': 22 });
      res.end('405 method not allowed');
      return;
    }
    if (!handler) {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 18 });
      res.end('404 page not found');
      return;
    }
    if (!path.startsWith('/_sim/')) env.stats.route(path);
    await handler(env, req, res);
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 500;
    const message = e instanceof Error ? e.message : String(e);
    env.stats.rejected(status);
    if (res.headersSent || res.destroyed) return;
    if (isV1) (e instanceof HttpError && e.layer === 'middleware' ? openAIMiddlewareError : openAIError)(res, status, message);
    else sendJson(res, status, { error: message });
  }
}
