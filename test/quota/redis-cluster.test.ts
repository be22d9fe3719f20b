import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdmissionController } from '../../origin/admission/controller.ts';
import type { RunningOrigin } from '../../origin/node/server.ts';
import { importSigningKey, signOutgoing } from '../../shared/signing.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { alternatingChats, chat, origin, sleep, until, usage } from './helpers.ts';

const MODEL = 'llama3.2:3b';
const SECRET = 'c'.repeat(48);

/**
 * Everything the origin keeps in Redis, on a real 3-master Redis Cluster (one replica each):
 * quotas and usage, stream leases, edge-signature nonces and shared engine slots, including a
 * manual failover (CLUSTER FAILOVER) while traffic flows. Multi-key scripts keep their keys in
 * one hash slot ({tenant} / {gate} tags), or the cluster would refuse them (CROSSSLOT).
 */
describe('Redis Cluster (3 masters + 3 replicas, redis-server --cluster-enabled yes)', () => {
  let cluster: RedisCluster;
  let sim: Simulator;
  const open: RunningOrigin[] = [];

  beforeAll(async () => {
    [cluster, sim] = await Promise.all([startRedisCluster(), startSimulator({ timeScale: 0.05, preloaded: [MODEL] })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.map((o) => o.close()));
    await sim?.close();
    await cluster?.close();
  });

  const replica = async (prefix: string, extra: Record<string, unknown> = {}) => {
    const o = await origin(sim.url, { redis: { mode: 'cluster', nodes: cluster.nodes, keyPrefix: prefix, commandTimeoutMs: 3_000 }, ...extra });
    open.push(o);
    // What is tested is the cluster, not a replica's first connection to it (slower on a loaded machine).
    await until(() => o.deps.redis!.client.status === 'ready', 20_000);
    return o;
  };

  it('one global request limit and one usage report across two replicas', async () => {
    const cfg = { quota: { defaults: { requestsPerMinute: 6 } } };
    const [a, b] = await Promise.all([replica('cq:', cfg), replica('cq:', cfg)]);
    const statuses = await alternatingChats(a, b, 10);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    expect(a.deps.quota!.snapshot().failover!.degradedDecisions).toBe(0);
    await until(async () => (await usage(b.url)).totals.requests === 10);
    expect((await usage(a.url)).totals).toMatchObject({ requests: 10, errors: 4 });
  });

  it('concurrent-stream leases hold across replicas', async () => {
    const cfg = { quota: { defaults: { concurrentStreams: 1 } } };
    const [a, b] = await Promise.all([replica('cl:', cfg), replica('cl:', cfg)]);
    const ctl = new AbortController();
    const first = await chat(a.url, { stream: true, tokens: 50_000, signal: ctl.signal });
    expect(first.status).toBe(200);
    const second = await chat(b.url, { stream: true });
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { code: string } }).error.code).toMatch(/concurren/);
    ctl.abort();
    await first.body?.cancel().catch(() => {});
    // The lease comes back when the stream ends, whichever replica held it.
    await until(async () => {
      const r = await chat(b.url, { stream: true });
      await r.text();
      return r.status === 200;
    });
  });

  it('an edge-signed request served by one replica is refused as a replay by another', async () => {
    const cfg = { auth: { mode: 'edge', edgeSecret: SECRET } };
    const [a, b] = await Promise.all([replica('cr:', cfg), replica('cr:', cfg)]);
    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hola [[sim:tokens=2]]' }] });
    const headers = await signOutgoing(await importSigningKey(SECRET), { method: 'POST', path: '/v1/chat/completions', body, tenant: 'acme', requestId: 'req_cluster_replay_1' });
    const init = { method: 'POST', headers: { ...headers, 'x-request-id': 'req_cluster_replay_1', 'content-type': 'application/json' }, body };
    const first = await fetch(`${a.url}/v1/chat/completions`, init);
    expect(first.status).toBe(200);
    await first.text();
    const replayed = await fetch(`${b.url}/v1/chat/completions`, init);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: { code: 'edge_signature_replayed' } });
  });

  it('engine slots and quotas through manual failovers of their masters during traffic', async () => {
    const cfg = { admission: { slots: { [MODEL]: 2 }, queueWaitMs: 60_000, leaseTtlMs: 3_000 }, quota: { defaults: { requestsPerMinute: 100_000, concurrentStreams: 50 } } };
    const [a, b] = await Promise.all([replica('cs:', cfg), replica('cs:', cfg)]);
    sim.resetStats();
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => chat((i % 2 ? b : a).url, { stream: true, tokens: 200 })));
    await Promise.all(burst.map((r) => r.text()));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    expect(sim.stats().models[MODEL]!.maxInFlight).toBe(2);

    // The gate's keys, to find the master that serves their slot.
    const masters: number[] = [];
    for (const n of cluster.nodes) if ((await cluster.cli(n.port, 'role')).startsWith('master')) masters.push(n.port);
    let gateKey = '';
    for (const port of masters) gateKey ||= (await cluster.cli(port, 'keys', 'cs:slots:*')).split('\n').find(Boolean) ?? '';
    expect(gateKey).not.toBe('');

    sim.resetStats();
    let stop = false;
    const statuses: number[] = [];
    const traffic = Array.from({ length: 6 }, async (_, i) => {
      while (!stop) {
        const r = await chat((i % 2 ? b : a).url, { stream: true, tokens: 100 });
        await r.text();
        statuses.push(r.status);
      }
    });
    await sleep(500);
    const moved = await cluster.failover(gateKey);
    expect(moved.to).not.toBe(moved.from);
    expect(await cluster.masterFor(gateKey)).toBe(moved.to);
    await sleep(500);
    // Then the master of the tenant's quota keys (request rate, stream leases, usage).
    const tenantKey = 'cs:{anonymous}:rq';
    const movedQuota = await cluster.failover(tenantKey);
    expect(await cluster.masterFor(tenantKey)).toBe(movedQuota.to);
    await sleep(1_000);
    stop = true;
    await Promise.all(traffic);
    expect(statuses.length).toBeGreaterThan(6);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // The slots stayed shared through the failover: the engine never held more than 2.
    expect(sim.stats().models[MODEL]!.maxInFlight).toBeLessThanOrEqual(2);
    for (const o of [a, b]) {
      expect((o.deps.admission as AdmissionController).snapshot()[0]).toMatchObject({ scope: 'redis', limit: 2, active: 0 });
      expect(o.deps.quota!.snapshot().failover!.redisUp).toBe(true);
    }
  }, 60_000);
});
