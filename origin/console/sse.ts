import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

/** A comment this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * A Server-Sent Events stream of HTML fragments (event `html`): the page's script puts each one
 * in place. `start` is given a send function and returns its cleanup; sends are written in order,
 * and a fragment equal to the last one sent is skipped.
 */
export function htmlEvents(c: Context, drain: AbortSignal | undefined, start: (send: (html: string) => void) => () => void): Response {
  return streamSSE(c, async (stream) => {
    let last = '';
    let chain = Promise.resolve();
    const send = (html: string) => {
      if (html === last || stream.aborted || stream.closed) return;
      last = html;
      chain = chain.then(() => stream.writeSSE({ event: 'html', data: html })).catch(() => {});
    };
    const stop = start(send);
    const keepalive = setInterval(() => {
      chain = chain.then(() => stream.write(': keepalive\n\n')).then(() => {}, () => {});
    }, KEEPALIVE_MS);
    await new Promise<void>((resolve) => {
      stream.onAbort(() => resolve());
      c.req.raw.signal.addEventListener('abort', () => resolve(), { once: true });
      // A shutdown ends the stream: the browser's EventSource reconnects to a replica still serving.
      if (drain?.aborted) resolve();
      drain?.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(keepalive);
    stop();
  });
}
