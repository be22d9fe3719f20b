/** Reading the end of an SSE stream: which complete frames carry an event, and their names. */

const isEventLine = (l: string) => l !== '' && !l.startsWith(':');

/**
 * The last complete SSE frame that carries an event (comment-only frames, keepalives, dispatch
 * nothing), or undefined when the tail does not end on a frame boundary.
 */
export function lastSseFrame(tail: string): string | undefined {
  if (!/\r?\n\r?\n$/.test(tail)) return undefined;
  const frames = tail.split(/\r?\n\r?\n/).filter((f) => f.split(/\r?\n/).some(isEventLine));
  return frames[frames.length - 1];
}

/** Whether the last frame is `event: <name>` for one of `names`. */
export function lastEventIs(tail: string, names: readonly string[]): boolean {
  const last = lastSseFrame(tail);
  if (last === undefined) return false;
  for (const line of last.split(/\r?\n/)) {
    if (!line.startsWith('event:')) continue;
    return names.includes(line.slice(6).trim());
  }
  return false;
}
