/**
 * The registry's and router's answer without an await (candidatesNow) is the awaited answer
 * wherever it gives one, and gives none where the awaited path must ask an upstream or fail.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { loadOriginConfig } from '../../origin/config/load.ts';
import { UpstreamRegistry } from '../../origin/upstream/registry.ts';
import { Router } from '../../origin/routing/router.ts';

const log = pino({ level: 'silent' });

function registryOf(upstreams: Array<{ name: string; models: string[] }>, routing?: object) {
  const cfg = loadOriginConfig({
    env: {},
    overrides: { log: { level: 'silent' }, upstreams: upstreams.map((u) => ({ ...u, kind: 'openai', url: 'http://127.0.0.1:9' })), ...(routing ? { routing } : {}) },
  });
  return { cfg, registry: new UpstreamRegistry(cfg, log) };
}

const names = (list: Array<{ upstream: { name: string }; upstreamModel: string }> | undefined) => list?.map((c) => `${c.upstream.name}/${c.upstreamModel}`);

describe('candidatesNow', () => {
  afterEach(() => vi.useRealTimers());

  it('answers nothing before the lists are held, then what candidates() answers, best first', async () => {
    const { registry } = registryOf([
      { name: 'a', models: ['m', 'n'] },
      { name: 'b', models: ['m'] },
    ]);
    expect(registry.candidatesNow('m')).toBeUndefined();
    const awaited = await registry.candidates('m');
    expect(names(registry.candidatesNow('m'))).toEqual(names(awaited));
    registry.upstreams[0]!.outstanding = 3;
    expect(names(registry.candidatesNow('m'))).toEqual(['b/m', 'a/m']);
    expect(names(registry.candidatesNow('n'))).toEqual(['a/n']);
    // Nobody serves it: the awaited path says so (a 404 with the models there are).
    expect(registry.candidatesNow('nobody')).toBeUndefined();
    await expect(registry.candidates('nobody')).rejects.toMatchObject({ status: 404 });
  });

  it('leaves a stale list, and a name missing from a list over a second old, to the awaited path', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { registry, cfg } = registryOf([
      { name: 'a', models: ['m'] },
      { name: 'b', models: ['n'] },
    ]);
    await registry.candidates('m');
    await registry.candidates('n');
    expect(names(registry.candidatesNow('m'))).toEqual(['a/m']);
    vi.setSystemTime(Date.now() + 1_500);
    // b's list is over a second old and lacks m: candidates() would ask b again.
    expect(registry.candidatesNow('m')).toBeUndefined();
    vi.setSystemTime(Date.now() + cfg.modelsRefreshMs);
    expect(registry.candidatesNow('n')).toBeUndefined();
  });

  it('the router answers without an await only where one engine serves the model', async () => {
    const { registry, cfg } = registryOf([
      { name: 'a', models: ['m', 'solo'] },
      { name: 'b', models: ['m'] },
    ]);
    const router = new Router(cfg.routing, registry, log);
    await registry.candidates('m');
    await registry.candidates('solo');
    expect(router.candidatesNow('m')).toBeUndefined();
    expect(router.candidatesNow('solo')).toEqual(await router.candidates('solo'));
    router.setDrained(['a']);
    expect(names(router.candidatesNow('m'))).toEqual(['b/m']);
    expect(router.candidatesNow('m')).toEqual(await router.candidates('m'));
    expect(() => router.candidatesNow('solo')).toThrow(/drained/);
    await expect(router.candidates('solo')).rejects.toThrow(/drained/);
    router.close();
  });
});
