/**
 * The one way tests build requests: an OpenAI chat body, and a JSON POST (as `fetch` init or
 * sent). Each test only states what differs (model, stream, headers), so a change to what a
 * "plain chat request" is happens here once.
 */
export const TEST_MODEL = 'llama3.2:3b';

/** `{model, messages:[{role:'user', content}], ...extra}`; `extra` may override the model. */
export function chatBody(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: TEST_MODEL, messages: [{ role: 'user', content }], ...extra };
}

/** The same body, serialised (for APIs that take the body as a string). */
export const chatJson = (content: string, extra: Record<string, unknown> = {}): string => JSON.stringify(chatBody(content, extra));

/** POST init with a JSON body (a string is sent as is) and `content-type: application/json` under the caller's headers. */
export function jsonInit(body: unknown, init: RequestInit = {}): RequestInit {
  return {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

export function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, jsonInit(body, init));
}

/** POST /v1/chat/completions on `baseUrl` with `chatBody(content, extra)`. */
export function postChat(baseUrl: string, content: string, extra: Record<string, unknown> = {}, init: RequestInit = {}): Promise<Response> {
  return postJson(`${baseUrl}/v1/chat/completions`, chatBody(content, extra), init);
}
