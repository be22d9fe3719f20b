/**
 * The last step at the edge: sign the request for the origin, send it, and relay the answer.
 * Response bodies are passed as streams (never read here, except the small model lists that a
 * tenant's allow-list filters); event streams and NDJSON go through
 * the stream guard so a broken origin ends them with an error frame instead of a silent cut.
 */
import type { Context } from 'hono';
import { withoutKeyParam } from '../../shared/api-key.ts';
import { isBatchCreate, isUpload } from '../../shared/batch-paths.ts';
import { errors } from '../../shared/errors.ts';
import { isJobEventsPath, jobEventsEnded } from '../../shared/job-events.ts';
import { filterModelList, modelAllowed } from '../../shared/model-allow-list.ts';
import { errorDialectFor, modelInPath, modelListOf } from '../../shared/routes.ts';
import { signOutgoing } from '../../shared/signing.ts';
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
  // The canonical path (shared/canonical-path.ts): what was checked and routed is what is signed and sent.
  const pathname = c.req.path;
  // A key given in the query (the route's `keyParam`) stops here like one in a header: neither signed nor sent.
  const path = pathname + withoutKeyParam(req.method, pathname, url.search);

  // A batch input file is no request: its own, larger limit, and no model to check in it (the
  // origin applies the tenant's allow-list to each of its lines). A route with the model in its
  // path (`:model` in its table entry) serves that one, whatever the body says.
  const upload = isUpload(req.method, pathname);
  const body = await readBody(req, upload ? platform.config.MAX_UPLOAD_BYTES : platform.config.MAX_BODY_BYTES);
  const model = upload ? null : (modelInPath(req.method, pathname) ?? modelOf(body, pathname));
  if (model !== null && tenant.models.length > 0 && !modelAllowed(tenant.models, model)) throw errors.modelNotFound(model, tenant.models);

  // A batch's lines reach the engine without passing here: the origin gets the allow-list to check each one.
  const models = isBatchCreate(req.method, pathname) && tenant.models.length > 0 ? tenant.models.join(',') : undefined;
  const signed = await signOutgoing(await platform.signingKey(), { method: req.method, path, body, tenant: tenant.id, requestId, country: client.country, pop: client.pop, models });

  const sentAt = Date.now();
  const res = await platform.fetchOrigin(path, {
    method: req.method,
    headers: originRequestHeaders(req.headers, requestId, signed),
    body,
  });

  const headers = clientResponseHeaders(res.headers, requestId);
  // The edge's own timing next to the origin's (queue, upstream, origin): a client sees where time went.
  headers.append('server-timing', `edge;dur=${sentAt - edgeStarted};desc="edge forward prep", edge-origin;dur=${Date.now() - sentAt};desc="edge to origin headers"`);
  if (tenant.models.length > 0 && req.method === 'GET' && modelListOf(pathname) && res.ok && res.body) {
    return filteredModelList(res, pathname, tenant.models, headers);
  }
  const kind = res.body ? streamKindOf(res.headers.get('content-type')) : null;
  if (!kind || !res.body) {
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
  // Streams: no transformation by any cache or proxy after us, and never compressed.
  headers.set('cache-control', 'no-cache, no-transform');
  headers.set('x-accel-buffering', 'no');
  headers.delete('content-encoding');
  const relayed = guardStream(res.body, {
    kind,
    dialect: errorDialectFor(url.pathname),
    requestId,
    idleTimeoutMs: platform.coreIdleTimeoutMs,
    endedCleanly: isJobEventsPath(pathname) ? jobEventsEnded : undefined,
  });
  return new Response(relayed, { status: res.status, statusText: res.statusText, headers });
}

/**
 * A model list for a tenant with an allow-list: only the models it may call. These documents are
 * small, so this one kind of answer is read whole (every other body is streamed). One that is not
 * the expected JSON is refused rather than passed on unfiltered: the list must not leak names.
 */
async function filteredModelList(res: Response, path: string, allowed: readonly string[], headers: Headers): Promise<Response> {
  let doc: unknown = null;
  try {
    doc = filterModelList(path, JSON.parse(await res.text()), allowed);
  } catch {
    /* not JSON: refused below */
  }
  if (doc === null) throw errors.upstreamError(`the origin's answer to ${path} is not a model list`, 502, 'origin_bad_response');
  const text = JSON.stringify(doc);
  headers.delete('content-encoding');
  headers.set('content-length', String(new TextEncoder().encode(text).byteLength));
  return new Response(text, { status: res.status, statusText: res.statusText, headers });
}
