/**
 * Polling with a deadline for where vitest's `expect.poll` cannot run (beforeAll hooks, helpers).
 * Inside a test prefer `expect.poll`, whose failure shows the last value seen.
 */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
