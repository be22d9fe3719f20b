/**
 * Runs one check against the real Ollama server and the simulator (one after the other, so
 * they never share the CPU) and returns both observations; the test then asserts they are equal.
 */
import { afterAll, beforeAll } from 'vitest';
import { startTarget, type BoxSettings, type Target } from './targets.ts';

export interface Pair {
  ollama: Target;
  sim: Target;
}

/** Starts both engines with the same box settings for the enclosing describe block. */
export function bothEngines(box: BoxSettings = {}): Pair {
  const pair = {} as Pair;
  beforeAll(async () => {
    pair.ollama = await startTarget('ollama', box);
    pair.sim = await startTarget('sim', box);
  });
  afterAll(async () => {
    await Promise.all([pair.ollama?.stop(), pair.sim?.stop()]);
  });
  return pair;
}

export async function observe<T>(pair: Pair, check: (t: Target) => Promise<T>): Promise<{ ollama: T; sim: T }> {
  const ollama = await check(pair.ollama);
  const sim = await check(pair.sim);
  return { ollama, sim };
}
