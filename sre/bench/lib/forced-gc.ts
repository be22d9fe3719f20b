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

/** Where a Node process's memory is, in bytes: V8's heap spaces as resident, and memory outside the heap. */
export interface HeapSpaces {
  /** The young generation's semispaces: grown under load, and full of garbage until the next scavenge. */
  newSpace: number;
  /** Objects that survived two scavenges: what is held, and what was promoted and has died since. */
  oldSpace: number;
  /** Objects too large for a page of their own space (new and old). */
  largeObjects: number;
  /** Compiled code (bytecode and optimised code, both code spaces). */
  code: number;
  /** Memory outside the heap that JS objects own (Buffers, ArrayBuffers; process.memoryUsage().external). */
  external: number;
}

type Call = (method: string, params?: object) => Promise<unknown>;

/** The node flag a process needs so that forcedGc can reach it later. */
export async function inspectPortArgs(): Promise<{ port: number; args: string[] }> {
  const port = await freePort();
  return { port, args: [`--inspect-port=127.0.0.1:${port}`] };
}

async function evaluate<T>(call: Call, expression: string): Promise<T> {
  const r = (await call('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: string } };
  return JSON.parse(r.result.value) as T;
}

/** Heap in use after a full collection, in bytes. */
export function forcedGc(h: GcHandle, timeoutMs = 30_000): Promise<{ heapUsed: number; external: number }> {
  return withInspector(h, timeoutMs, async (call) => {
    // Twice: the first may leave what weak references and finalizers free only on the next.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const m = await evaluate<{ heapUsed: number; external: number }>(call, 'JSON.stringify(process.memoryUsage())');
    return { heapUsed: m.heapUsed, external: m.external };
  });
}

/**
 * The heap's spaces as they are, without a collection (physical sizes: what counts in RSS), and
 * external memory: read before and with the streams open, they say what the RSS growth is made of.
 */
export function heapSpaces(h: GcHandle, timeoutMs = 30_000): Promise<HeapSpaces> {
  const expression = `(() => {
    const s = {};
    for (const x of process.getBuiltinModule('v8').getHeapSpaceStatistics()) s[x.space_name] = x.physical_space_size;
    return JSON.stringify({
      newSpace: s.new_space ?? 0,
      oldSpace: s.old_space ?? 0,
      largeObjects: (s.large_object_space ?? 0) + (s.new_large_object_space ?? 0),
      code: (s.code_space ?? 0) + (s.code_large_object_space ?? 0),
      external: process.memoryUsage().external,
    });
  })()`;
  return withInspector(h, timeoutMs, (call) => evaluate<HeapSpaces>(call, expression));
}

/** One DevTools-protocol session with the process's inspector (opened with SIGUSR1) for `use`. */
async function withInspector<T>(h: GcHandle, timeoutMs: number, use: (call: Call) => Promise<T>): Promise<T> {
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
  const call: Call = (method, params = {}) =>
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
    return await use(call);
  } finally {
    ws.close();
  }
}
