/**
 * The last step at the edge: sign the request for the origin, send it, and relay the answer.
 * Response bodies are passed as streams (never read here); event streams and NDJSON go through
 * the stream guard so a broken origin ends them with an error frame instead of a silent cut.
 */
import type { Context } from 'hono';
import { errors } from '../../shared/errors.ts';
import { bodyDigest, newNonce, signedHeaders } from '../../shared/signing.ts';
import type { EdgeEnv } from '../platform.ts';
import { modelOf, readBody } from './body.ts';
import { clientResponseHeaders, originRequestHeaders } from './headers.ts';
import { guardStream, streamKindOf } from './stream-guard.ts';

export async function forward(c: Context<EdgeEnv>): Promise<Response> {
  const { platform } = c.env;
  const tenant = c.get('tenant');
  const client = c.get('client');
  const requestId = c.get('requestId');
  const edgeStarted = Date.now();
  const req = c.req.raw;
  const url = new URL(req.url);
  const path = url.pathname + url.search;

  const body = await readBody(req, platform.config.MAX_BODY_BYTES);
  if (tenant.models.length > 0) {
    const model = modelOf(body);
    if (model !== null && !tenant.models.includes(model)) throw errors.modelNotFound(model, tenant.models);
  }

  const signed = await signedHeaders(await platform.signingKey(), {
    method: req.method,
    path,
    timestamp: Date.now(),
    nonce: newNonce(),
    tenant: tenant.id,
    requestId,
    bodyDigest: await bodyDigest(body),
    country: client.country,
    pop: client.pop,
  });

  const sentAt = Date.now();
  const res = await platform.fetchOrigin(path, {
    method: req.method,
    headers: originRequestHeaders(req.headers, requestId, signed),
    body,
  });

  const headers = clientResponseHeaders(res.headers, requestId);
  // The edge's own timing next to the origin's (queue, upstream, origin): a client sees where time went.
  headers.append('server-timing', `edge;dur=${sentAt - edgeStarted};desc="edge forward prep", edge-origin;dur=${Date.now() - sentAt};desc="edge to origin headers"`);
  const kind = res.body ? streamKindOf(res.headers.get('content-type')) : null;
  if (!kind || !res.body) {
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
  // Streams: no transformation by any cache or proxy after us, and never compressed.
  headers.set('cache-control', 'no-cache, no-transform');
  headers.set('x-accel-buffering', 'no');
  headers.delete('content-encoding');
  const relayed = guardStream(res.body, { kind, requestId, idleTimeoutMs: platform.coreIdleTimeoutMs });
  return new Response(relayed, { status: res.status, statusText: res.statusText, headers });
}
