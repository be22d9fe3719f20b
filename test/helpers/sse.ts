/** Reading SSE bodies in tests with the same spec-complete parser as the product (eventsource-parser). */
import { createParser } from 'eventsource-parser';

export interface SseItem {
  event?: string;
  data?: string;
  comment?: string;
}

/** Events of a finished body in order (`{event?, data}`; `event` only when not the default), comments as `{comment}`. */
export function parseSse(text: string): SseItem[] {
  const out: SseItem[] = [];
  const parser = createParser({
    onEvent: (m) => out.push(m.event ? { event: m.event, data: m.data } : { data: m.data }),
    onComment: (c) => out.push({ comment: c.trim() }),
  });
  parser.feed(text);
  // A final event without its blank line is still reported, as a browser's EventSource would not: tests check cut-off frames.
  parser.feed('\n\n');
  return out;
}

export interface TimedFrame {
  at: number;
  text: string;
}

/** Reads a response body, noting when each network chunk arrived (for incremental-arrival checks). */
export async function readTimed(res: Response): Promise<TimedFrame[]> {
  const out: TimedFrame[] = [];
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.push({ at: performance.now(), text: decoder.decode(value, { stream: true }) });
  }
  return out;
}
