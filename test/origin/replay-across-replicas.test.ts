import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { importSigningKey, signOutgoing } from '../../shared/signing.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

const SECRET = 's'.repeat(48);

describe('edge-signature replay protection across origin replicas (one Redis)', () => {
  let redis: RedisServer;
  let sim: Simulator;
  let a: RunningOrigin;
  let b: RunningOrigin;

  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimulator({ timeScale: 0.05, preloaded: ['llama3.2:3b'] });
    const replica = () =>
      startOrigin({
        env: { REDIS_URL: redis.url },
        overrides: { log: { level: 'silent' }, server: { port: 0 }, auth: { mode: 'edge', edgeSecret: SECRET }, upstreams: [{ name: 'sim', url: sim.url }] },
      });
    [a, b] = await Promise.all([replica(), replica()]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sim?.close();
    await redis?.close();
  });

  async function signedRequest() {
    const body = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hola [[sim:tokens=2]]' }] });
    const headers = await signOutgoing(await importSigningKey(SECRET), { method: 'POST', path: '/v1/chat/completions', body, tenant: 'acme', requestId: 'req_replay_000001' });
    return { body, headers: { ...headers, 'x-request-id': 'req_replay_000001', 'content-type': 'application/json' } };
  }

  it('refuses on replica B a signed request replica A already served', async () => {
    const { body, headers } = await signedRequest();
    const first = await fetch(`${a.url}/v1/chat/completions`, { method: 'POST', headers, body });
    expect(first.status).toBe(200);
    const replayed = await fetch(`${b.url}/v1/chat/completions`, { method: 'POST', headers, body });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: { code: 'edge_signature_replayed' } });
  });

  it('still refuses replays on the same replica while Redis is down', async () => {
    await redis.stop();
    try {
      const { body, headers } = await signedRequest();
      expect((await fetch(`${a.url}/v1/chat/completions`, { method: 'POST', headers, body })).status).toBe(200);
      expect((await fetch(`${a.url}/v1/chat/completions`, { method: 'POST', headers, body })).status).toBe(401);
    } finally {
      await redis.start();
    }
  });
});
