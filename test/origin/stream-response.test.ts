import { describe, expect, it } from 'vitest';
import { sseFraming } from '../../origin/stream/framing.ts';
import { runStream } from '../../origin/stream/stream-response.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runStream under backpressure', () => {
  it('a keepalive while the relay waits for a slow reader does not strand the relay', async () => {
    const frames = 12;
    const frame = new Uint8Array(16 * 1024).fill(0x61);
    let ended: string | undefined;
    const res = await runStream<null>({
      requestId: 'req-backpressure',
      framing: sseFraming,
      keepaliveMs: 20,
      writeStallMs: 60_000,
      clientSignal: new AbortController().signal,
      open: async () => null,
      relay: async (_o, emit) => {
        for (let i = 0; i < frames; i++) {
          const p = emit(frame);
          if (p) await p;
        }
      },
      onEnd: (r) => {
        ended = r.outcome;
      },
    });
    const reader = res.body!.getReader();
    await reader.read();
    // The reader stalls: the relay is held back (64 KiB queued) and the stream goes silent for
    // several keepalive intervals.
    await sleep(150);
    let bytes = 0;
    const drained = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        bytes += value.byteLength;
      }
    })();
    const outcome = await Promise.race([drained.then(() => 'done'), sleep(2_000).then(() => 'hung')]);
    expect(outcome).toBe('done');
    expect(ended).toBe('ok');
    expect(bytes).toBeGreaterThanOrEqual((frames - 1) * frame.byteLength);
  });
});
