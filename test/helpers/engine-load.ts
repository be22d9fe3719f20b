/**
 * Load on a simulated engine that does not pass through the origin under test (another gateway, a
 * batch job): long streams sent straight to the engine's /v1, read and dropped until `stop()`.
 * What the engine then reports of itself (its vLLM /metrics) is the only sign of them.
 */
export function loadEngine(engineUrl: string, model: string, n: number): { stop(): void } {
  const ctl = new AbortController();
  for (let i = 0; i < n; i++) {
    void fetch(`${engineUrl}/v1/chat/completions`, {
      method: 'POST',
      signal: ctl.signal,
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'long [[sim:tokens=100000]]' }], stream: true }),
    })
      .then((r) => r.body?.pipeTo(new WritableStream(), { signal: ctl.signal }))
      .catch(() => undefined);
  }
  return { stop: () => ctl.abort() };
}
