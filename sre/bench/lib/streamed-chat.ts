import { request, type Agent } from 'undici';

/** One streamed chat answer as a bench's user sees it. */
export interface StreamedChat {
  /** Wall ms from sending to the first `data:` frame; null when none came. */
  ttftMs: number | null;
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Sends one streamed OpenAI chat request and reads its answer to the end, timing the first frame. */
export async function streamedChat(url: string, agent: Agent, body: { model: string; messages: Array<{ role: string; content: string }> }): Promise<StreamedChat> {
  const t0 = performance.now();
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  let ttftMs: number | null = null;
  for await (const chunk of res.body) if (ttftMs === null && (chunk as Buffer).includes('data: ')) ttftMs = performance.now() - t0;
  return { ttftMs, status: res.statusCode, headers: res.headers };
}
