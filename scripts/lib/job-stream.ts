/**
 * What the CLIs that follow a long job (ingest, batch) share: reading a Puerta error body, and
 * reading a job's progress stream (`event: progress` frames, then `event: done`;
 * shared/job-events.ts) with each state checked against the caller's schema.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';

/** An error body (`{"error":{"message"}}`), from a refusal or a stream's `event: error`. */
const errorBodySchema = z.object({ error: z.union([z.string(), z.object({ message: z.string().optional() }).passthrough()]) }).passthrough();

export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function errorMessage(text: string): string {
  const e = errorBodySchema.safeParse(jsonOf(text));
  if (e.success) return typeof e.data.error === 'string' ? e.data.error : (e.data.error.message ?? 'no message');
  return `an answer that is not a Puerta error (${text.slice(0, 80).replace(/\s+/g, ' ')})`;
}

/** How one reading of the progress stream ended: with the job's last state, or cut before it. */
export type Followed<T> = { kind: 'finished'; status: T } | { kind: 'cut'; why: string };

/**
 * Reads the job's progress stream to its `done` event. Only `progress` and `done` carry the job's
 * state; an `error` event (the origin's, or the edge's when the stream broke on its way) ends it.
 */
export async function followOnce<T>(url: string, headers: Record<string, string>, schema: z.ZodType<T>, show: (s: T) => void): Promise<Followed<T>> {
  const res = await fetch(url, { headers });
  if (!res.ok || !res.body) return { kind: 'cut', why: `the progress stream was refused (${res.status}): ${errorMessage(await res.text())}` };
  let outcome: Followed<T> | undefined;
  const onEvent = (e: EventSourceMessage): void => {
    if (outcome) return;
    if (e.event === 'error') {
      outcome = { kind: 'cut', why: errorMessage(e.data) };
      return;
    }
    if (e.event !== 'progress' && e.event !== 'done') return;
    const parsed = schema.safeParse(jsonOf(e.data));
    if (!parsed.success) {
      outcome = { kind: 'cut', why: `a ${e.event} event that is not a job status (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})` };
      return;
    }
    show(parsed.data);
    if (e.event === 'done') outcome = { kind: 'finished', status: parsed.data };
  };
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  try {
    for (let r = await reader.read(); !r.done && !outcome; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
  } catch (err) {
    outcome ??= { kind: 'cut', why: `the connection broke (${(err as Error).message})` };
  } finally {
    // Whatever follows `done` (or an error) is not read: the job's state is known.
    await reader.cancel().catch(() => {});
  }
  return outcome ?? { kind: 'cut', why: 'the stream ended before the job did' };
}

/** Attempts at the progress stream: a cut one is opened again (it starts with the job's state). */
export const FOLLOW_ATTEMPTS = 3;

/** Runs a CLI's main: a refused connection or an unreadable file is one line, not a stack trace. */
export async function runMain(name: string, main: () => Promise<number>): Promise<never> {
  const code = await main().catch((err: unknown) => {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(`${name}: ${(err as Error).message}${cause ? ` (${cause})` : ''}\n`);
    return 1;
  });
  process.exit(code);
}
