/**
 * Workers only: the rate-limit binding (wrangler `[[ratelimits]]`, emulated by Miniflare) is the
 * per-location ceiling; here it is set below the tenant's own rule, so the 429 comes from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorkerdEdge } from '../../edge/local/workerd.ts';
import type { RunningEdge } from '../../edge/local/types.ts';
import { startFaultOrigin, type FaultOrigin } from './harness/fault-origin.ts';
import { writeTestTenants } from './harness/stack.ts';

describe('Workers rate-limit binding', () => {
  let origin: FaultOrigin;
  let edge: RunningEdge;
  let key: string;

  beforeAll(async () => {
    origin = await startFaultOrigin();
    const { file, keys } = await writeTestTenants(mkdtempSync(join(tmpdir(), 'puerta-rl-')));
    key = keys.open;
    edge = await startWorkerdEdge({ originUrl: origin.url, tenantsFile: file, signingSecret: 'k'.repeat(40), bindingLimit: { limit: 2, period: 60 } });
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  it('refuses past the binding limit even when the tenant rule allows more', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${edge.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      statuses.push(last.status);
      if (i < 2) await last.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(last!.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(last!.headers.get('retry-after')).toBe('60');
    expect(await last!.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
  });
});
