/**
 * Item 7 of the hardening issue: an engine whose error message echoes the prompt must not put
 * that text in the origin's log. The client that sent the prompt gets the message back; the log
 * line gets its length and a digest. Driven through the simulator's error faults (its error text
 * is the marker), on the native and the OpenAI routes, before and after the first byte.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { rawRequest } from './harness.ts';
import { tally } from './tally.ts';

describe('engine error text stays out of the origin log', () => {
  let s: OriginStack;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    s = await startOriginStack({ logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('logs a digest of the engine text, never the text, while the client still gets it', async () => {
    const count = tally('engine error text in logs');
    const cases: Array<{ path: string; body: (prompt: string) => Record<string, unknown> }> = [
      { path: '/api/chat', body: (p) => ({ model: 'llama3.2:3b', stream: false, messages: [{ role: 'user', content: p }] }) },
      { path: '/api/chat', body: (p) => ({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: p }] }) },
      { path: '/api/generate', body: (p) => ({ model: 'llama3.2:3b', stream: false, prompt: p }) },
      { path: '/v1/chat/completions', body: (p) => ({ model: 'llama3.2:3b', stream: false, messages: [{ role: 'user', content: p }] }) },
      { path: '/v1/chat/completions', body: (p) => ({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: p }] }) },
      { path: '/v1/completions', body: (p) => ({ model: 'llama3.2:3b', stream: true, prompt: p }) },
    ];
    const faults = ['fault=status,status=500', 'fault=error,after=2', 'fault=status,status=503', 'fault=status,status=400'];
    let n = 0;
    for (const c of cases) {
      for (const fault of faults) {
        const marker = `SECRETPROMPT${++n}x${Date.now()}`;
        const r = await rawRequest(s.origin.url, {
          method: 'POST',
          path: c.path,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(c.body(`tell me about ${marker} [[sim:${fault},message=${marker}]]`)),
        });
        count.tried++;
        // The caller sent the prompt: the engine's answer about it is theirs to read.
        expect(r.text, `${c.path} ${fault}: ${r.status}`).toContain(marker);
        await new Promise((res) => setTimeout(res, 20));
        expect(lines.filter((l) => l.includes(marker)), `${c.path} ${fault}: log has the engine text`).toEqual([]);
        count.held++;
      }
    }
    expect(lines.join('')).toContain('engine text withheld');
  });
});
