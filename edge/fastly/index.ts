/**
 * Fastly Compute entry point (compiled to bin/main.wasm by scripts/build-edge.sh).
 * Configuration problems answer 500 with the reason; they are operator errors, not client ones.
 */
import { PuertaError } from '../../shared/errors.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from '../../shared/headers.ts';
import { createEdgeApp } from '../app.ts';
import { parseEdgeConfig } from '../config.ts';
import { fastlyPlatform } from './platform.ts';
import { prewarm } from './prewarm.ts';
import { readConfig } from './stores.ts';

const app = createEdgeApp();
prewarm(app);

async function handle(event: FetchEvent): Promise<Response> {
  let config;
  try {
    config = parseEdgeConfig(readConfig());
  } catch (e) {
    const requestId = requestIdFrom(event.request.headers.get(REQUEST_ID_HEADER));
    console.error(String(e));
    return new PuertaError({ status: 500, type: 'api_error', code: 'edge_misconfigured', message: String(e instanceof Error ? e.message : e) }).toResponse(requestId);
  }
  return app.fetch(event.request, { platform: fastlyPlatform(event, config) });
}

addEventListener('fetch', (event) => {
  const fe = event as unknown as FetchEvent;
  fe.respondWith(handle(fe));
});
