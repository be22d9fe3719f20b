/**
 * A full garbage collection in another Node process, for a memory figure that counts what the
 * process holds rather than garbage V8 has not collected yet. The process is started with
 * `--inspect-port=<port>` (nothing listens until asked); SIGUSR1 opens its inspector, and one
 * DevTools-protocol session asks for the collection and reads process.memoryUsage().
 */
import { WebSocket } from 'undici';
import { freePort } from './free-port.ts';

export interface GcHandle {
  pid: number;
  port: number;
}

/** The node flag a process needs so that forcedGc can reach it later. */
export async function inspectPortArgs(): Promise<{ port: number; args: string[] }> {
  const port = await freePort();
  return { port, args: [`--inspect-port=127.0.0.1:${port}`] };
}

/** Heap in use after a full collection, in bytes. */
export async function forcedGc(h: GcHandle, timeoutMs = 30_000): Promise<{ heapUsed: number; external: number }> {
  process.kill(h.pid, 'SIGUSR1');
  const deadline = Date.now() + timeoutMs;
  let wsUrl: string | undefined;
  while (!wsUrl) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${h.port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
      wsUrl = list[0]?.webSocketDebuggerUrl;
    } catch {
      // Not listening yet.
    }
    if (!wsUrl) {
      if (Date.now() > deadline) throw new Error(`pid ${h.pid}: no inspector on port ${h.port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const ws = new WebSocket(wsUrl);
  let seq = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`pid ${h.pid}: inspector connection failed`)), { once: true });
  });
  // A process that dies mid-call must not hang the run: each call has what is left of the deadline.
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => reject(new Error(`pid ${h.pid}: ${method} unanswered within ${timeoutMs} ms`)), Math.max(1, deadline - Date.now()));
      pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    // Twice: the first may leave what weak references and finalizers free only on the next.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const r = (await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as { result: { value: string } };
    const m = JSON.parse(r.result.value) as { heapUsed: number; external: number };
    return { heapUsed: m.heapUsed, external: m.external };
  } finally {
    ws.close();
  }
}
