import type { Context, MiddlewareHandler } from 'hono';
import { engineShapeFor } from '../../shared/engine-shapes.ts';
import { parseJsonBody } from '../../shared/json-body.ts';
import { requestedModel } from '../../shared/model-allow-list.ts';
import { modelInPath, type RouteEntry } from '../../shared/routes.ts';
import type { Router } from '../routing/router.ts';
import { sessionFromConversation, sessionFromHeaders } from '../routing/session-key.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import type { OriginEnv } from '../core/env.ts';
import type { BodyReader, RequestFacts, RequestUrl } from '../core/facts.ts';
import { accept, validate, type Validated } from './read-json.ts';

/** The stream rule of a body the dialect refused, so the quota still sees what was asked. */
function streamOf(value: unknown, route: RouteEntry): boolean {
  if (route.streams === 'always') return true;
  const asked = value && typeof value === 'object' ? (value as { stream?: unknown }).stream : undefined;
  return route.streams === 'unless-false' ? asked !== false : route.streams === 'if-true' && asked === true;
}

/**
 * Parses and validates a route's body with its dialect's reader: the one parse of a request. A
 * route that names its model in the path (`:model` in its table entry) serves that one, whatever
 * the body says: it is laid over the body as its `model`, with what the reader reads from the URL
 * (how it streams), before the schema validates it, so every reader finds it in the body.
 */
export function readFacts(text: string, route: RouteEntry, reader: BodyReader<unknown>, url: RequestUrl): RequestFacts {
  const json = parseJsonBody(text, engineShapeFor(route.path));
  const inPath = route.path.includes('/:model') ? modelInPath('POST', url.path) : null;
  const fromUrl = reader.fromUrl?.(url, route);
  const over = inPath !== null || fromUrl ? { ...(inPath !== null ? { model: inPath } : {}), ...fromUrl } : undefined;
  const body = validate(reader.schema, over && json.ok && json.value && typeof json.value === 'object' ? { ok: true, value: { ...(json.value as object), ...over } } : json);
  return {
    bytes: Buffer.byteLength(text),
    named: inPath !== null ? { ok: true, model: inPath } : json.ok ? requestedModel(json.value) : { ok: true, model: null },
    body,
    stream: body.ok ? reader.stream(body.value) : json.ok && streamOf(json.value, route),
    maxTokens: body.ok ? reader.maxTokens(body.value) : undefined,
  };
}

/**
 * Right after auth and the body limit, the body is read once (its dialect's `body` reader) and the
 * record learns who is calling and which model the body names. This is the only writer of
 * `rec.tenant` and `rec.publicModel`: admission is fair between tenants from here on, and a
 * request refused later (quota, allow-list, validation) is still counted under its model.
 */
export function requestFacts(deps: { registry: Pick<UpstreamRegistry, 'listed'>; router?: Pick<Router, 'knows' | 'affine'> | undefined }, readerFor: (route: RouteEntry) => BodyReader<unknown> | undefined): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    const rec = c.get('record');
    const tenant = c.get('tenant');
    if (tenant) rec.tenant = tenant;
    const route = rec.routeEntry;
    const reader = route && c.req.method === 'POST' ? readerFor(route) : undefined;
    if (route && reader) {
      // A body that does not parse, or names no model, is left for the allow-list's or the route's 400.
      const facts = readFacts(await c.req.text(), route, reader, c.req);
      c.set('facts', facts);
      const named = facts.named;
      if (route.namesModel && named.ok && named.model !== null) {
        rec.publicModel = named.model;
        // Routing confirms it later; a request refused before that (quota, allow-list) is still
        // written under its name when the name is one this origin serves.
        rec.modelKnown = deps.router ? deps.router.knows(named.model) : deps.registry.listed(named.model);
      }
      // An agent's session header names the conversation, else what its dialect reads in a
      // generation's body (BodyReader.conversation).
      if (deps.router?.affine) {
        const body = route.metered === 'generation' && facts.body.ok ? facts.body.value : undefined;
        rec.session = sessionFromHeaders(rec.tenant.id, (name) => c.req.header(name)) ?? (body === undefined ? undefined : sessionFromConversation(rec.tenant.id, reader.conversation?.(body)));
      }
    }
    return next();
  };
}

/**
 * The route's validated body, from the one read above (a 400 that says what was wrong when the
 * dialect refused it). Without the middleware in front (a handler mounted on its own), the body
 * is read here, the same way.
 */
export function validatedBody<T>(c: Context<OriginEnv>, reader: BodyReader<T>): T | Promise<T> {
  const facts = c.get('facts');
  // Read by the middleware (every keyed route): no await, no promise of its own.
  return facts ? accept(c, facts.bytes, facts.body as Validated<T>) : readValidated(c, reader);
}

async function readValidated<T>(c: Context<OriginEnv>, reader: BodyReader<T>): Promise<T> {
  const route = c.get('record').routeEntry;
  if (!route) throw new Error(`validatedBody on ${c.req.path}, which is not in the route table`);
  const facts = readFacts(await c.req.text(), route, reader as BodyReader<unknown>, c.req);
  c.set('facts', facts);
  return accept(c, facts.bytes, facts.body as Validated<T>);
}
