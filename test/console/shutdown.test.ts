import { describe, expect, it } from 'vitest';
import { OPERATOR, startConsoleStack } from './harness.ts';

describe('console: shutdown', () => {
  it("ends the console's event streams when a shutdown begins, so an open console tab does not hold up the grace period", async () => {
    const s = await startConsoleStack();
    try {
      const login = await fetch(`${s.console}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.origin.url }, body: new URLSearchParams(OPERATOR).toString() });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const events = await fetch(`${s.console}/events/now`, { headers: { cookie } });
      expect(events.headers.get('content-type')).toContain('text/event-stream');
      const reader = events.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain('event: html');
      const ended = (async () => {
        for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return 'ended';
      })();
      // A grace period longer than the test's own timeout: only the stream ending lets this finish in time.
      await s.origin.shutdown(120_000);
      expect(await ended).toBe('ended');
    } finally {
      await s.close();
    }
  });
});
