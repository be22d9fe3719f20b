import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createOriginApp } from '../../origin/app.ts';
import { loadOriginConfig } from '../../origin/config/load.ts';
import { buildDeps } from '../../origin/node/server.ts';
import type { RequestRecord } from '../../origin/core/record.ts';

describe('the request record', () => {
  it('ends, with a 500 in the OpenAI shape, even when something throws a non-Error', async () => {
    const cfg = loadOriginConfig({ env: {}, overrides: { log: { level: 'silent' }, upstreams: [{ name: 'x', url: 'http://127.0.0.1:9', models: ['m'] }] } });
    const deps = buildDeps(cfg, pino({ level: 'silent' }), new AbortController().signal);
    const ended: RequestRecord[] = [];
    deps.observers.add({ onEnd: (r) => void ended.push({ ...r }) });
    const app = createOriginApp(deps);
    // Stands for any code path that rejects with a bare value (an abort reason given as a string).
    app.get('/v1/throws-a-string', () => {
      throw 'client went away';
    });
    const res = await app.request('/v1/throws-a-string');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { type: 'server_error', code: 'internal_error' } });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ status: 500, outcome: 'error' });
    await deps.quota?.close();
    await deps.poller.close();
  });
});
