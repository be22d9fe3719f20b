/**
 * The origin's router (origin/http/table-router.ts): a route of the table is one entry, answered
 * alone (Hono calls it directly), while every other path still meets the middleware it met before
 * (record and path check, the keyed intake) and is answered as before, refusals recorded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createOriginApp } from '../../origin/app.ts';
import { loadOriginConfig } from '../../origin/config/load.ts';
import { buildDeps } from '../../origin/node/server.ts';
import type { RequestRecord } from '../../origin/core/record.ts';
import { ROUTES } from '../../shared/routes.ts';
import { jsonInit } from '../helpers/request.ts';

const cfg = loadOriginConfig({ env: {}, overrides: { log: { level: 'silent' }, upstreams: [{ name: 'x', url: 'http://127.0.0.1:9', models: ['m'] }] } });
const deps = buildDeps(cfg, pino({ level: 'silent' }), new AbortController().signal);
const ended: RequestRecord[] = [];
deps.observers.add({ onEnd: (r) => void ended.push({ ...r }) });
const app = createOriginApp(deps);
afterAll(async () => {
  await deps.quota?.close();
  await deps.poller.close();
});

/** A path the entry serves: its parameter filled in (`:model{.+:generateContent}` → `m:generateContent`). */
const pathOf = (path: string): string => path.replace(/:model\{\.\+([^{}]*)\}$/, 'm$1');

describe('the table router', () => {
  it.each(ROUTES.map((e) => [e.method, pathOf(e.path)]))('%s %s is one entry', (method, path) => {
    expect(app.router.match(method, path)[0]).toHaveLength(1);
    // A kept answer (a path without parameters) is the same one the next time.
    expect(app.router.match(method, path)[0]).toHaveLength(1);
  });

  it.each([
    ['GET', '/healthz', 2],
    // Not found: record and path check, and on a keyed prefix the intake too, as before.
    ['POST', '/v1/nope', 2],
    ['GET', '/v1/chat/completions', 2],
    ['GET', '/nope', 1],
  ])('%s %s meets the middleware as before (%i entries)', (method, path, entries) => {
    expect(app.router.match(method, path)[0]).toHaveLength(entries);
  });

  it('answers and records a refusal on a table route as before, at the level that refused', async () => {
    ended.length = 0;
    const res = await app.request('/v1/chat/completions', jsonInit('{"model": "m", "messages": ['));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ route: '/v1/chat/completions', status: 400, outcome: 'rejected', errorType: 'invalid_request_error' });
  });

  it('answers and records a path no route serves, and HEAD of a table route, as before', async () => {
    ended.length = 0;
    const missing = await app.request('/v1/nope', jsonInit({}));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(ended[0]).toMatchObject({ route: '/v1/nope', status: 404 });
    const head = await app.request('/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await head.text()).toBe('');
    const bad = await app.request('/v1/chat/%ff', jsonInit({}));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { param: 'path' } });
  });
});
