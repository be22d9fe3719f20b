/**
 * Cloudflare Workers entry point (bundled to bin/edge-workers.js; infra/wrangler.toml).
 * Settings are the Worker's `vars`; a bad one answers 500 naming the key and what is allowed.
 */
import { PuertaError } from '../../shared/errors.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from '../../shared/headers.ts';
import { createEdgeApp } from '../app.ts';
import { parseEdgeConfig, type EdgeConfig } from '../config.ts';
import type { ExecutionContextLike, WorkersEnv } from './bindings.ts';
import { workersPlatform } from './platform.ts';

const app = createEdgeApp();
let parsed: { env: WorkersEnv; config: EdgeConfig } | undefined;

function configFor(env: WorkersEnv): EdgeConfig {
  // vars are fixed for the life of an isolate, so they are validated once per isolate.
  if (parsed?.env !== env) {
    const raw: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(env)) if (typeof v === 'string') raw[k] = v;
    parsed = { env, config: parseEdgeConfig(raw) };
  }
  return parsed.config;
}

export default {
  async fetch(req: Request, env: WorkersEnv, ctx: ExecutionContextLike): Promise<Response> {
    let config: EdgeConfig;
    try {
      config = configFor(env);
    } catch (e) {
      console.error(String(e));
      const requestId = requestIdFrom(req.headers.get(REQUEST_ID_HEADER));
      return new PuertaError({ status: 500, type: 'api_error', code: 'edge_misconfigured', message: e instanceof Error ? e.message : String(e) }).toResponse(requestId);
    }
    return app.fetch(req, { platform: workersPlatform(req, env, ctx, config) }, ctx as never);
  },
};
