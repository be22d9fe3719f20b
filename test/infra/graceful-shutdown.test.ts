import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDaysSince } from '../helpers/audit-days.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { postChat } from '../helpers/request.ts';
import { parseSse } from '../helpers/sse.ts';
import { readAuditLines, tempDir } from '../audit/helpers.ts';


/**
 * What systemd's SIGTERM (puerta-origin.service) sets off: stop accepting, let open streams
 * finish within the grace period, end the rest with a retryable error event, then seal the audit.
 */
describe('graceful shutdown', () => {
  let stack: OriginStack;
  const tmp = tempDir();
  const startedAt = Date.now();
  beforeAll(async () => {
    stack = await startOriginStack({ sim: { timeScale: 0.05 }, origin: { audit: { region: 'cr-sjo-1', batchWindowMs: 50, file: { dir: tmp.dir } } } });
  });
  afterAll(async () => {
    await stack.sim.close();
    tmp.cleanup();
  });

  it('short streams finish, long ones end with origin_shutting_down, new connections are refused, the audit is sealed', async () => {
    const url = stack.origin.url;
    const post = (content: string) => postChat(url, content, { model: 'gpt-oss:20b', stream: true });
    // ~0.2 s of generation at 50 tok/s x 0.05: inside a 2.5 s grace period.
    const short = post('short [[sim:tokens=200]]').then((r) => r.text());
    // ~8 s: outlives the grace period.
    const long = post('long [[sim:tokens=8000]]').then((r) => r.text());
    await new Promise((r) => setTimeout(r, 150));
    const t0 = Date.now();
    const done = stack.origin.shutdown(2_500);
    await new Promise((r) => setTimeout(r, 50));
    // A new connection (not a pooled keep-alive one) is refused once shutdown began.
    const refused = await new Promise<boolean>((resolve) => {
      const req = get(url + '/healthz', { agent: false }, (res) => {
        res.resume();
        resolve(false);
      });
      req.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);

    const shortText = await short;
    expect(shortText).toContain('data: [DONE]');
    const events = parseSse(await long);
    const last = events[events.length - 1]!;
    expect(last.event).toBe('error');
    const err = JSON.parse(last.data!) as { error: { code: string; retryable: boolean } };
    expect(err.error.code).toBe('origin_shutting_down');
    expect(err.error.retryable).toBe(true);
    await done;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_400);

    const lines = readAuditLines(tmp.dir);
    const seal = lines[lines.length - 1]!;
    expect(seal).toMatchObject({ type: 'seal', reason: 'shutdown', records: 2 });
    const outcomes = lines.filter((l) => l.type === 'request').map((l) => [l.outcome, l.reason]);
    expect(outcomes).toContainEqual(['ok', null]);
    expect(outcomes).toContainEqual(['error', 'origin_shutting_down']);
    expect((await verifyDaysSince(tmp.dir, startedAt)).ok).toBe(true);
  });
});
