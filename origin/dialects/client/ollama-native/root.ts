import type { Context } from 'hono';

/** `GET /` and `HEAD /`: what Ollama answers, so clients that probe it before anything else go on. */
export function ollamaRoot(c: Context): Response {
  return c.text('Ollama is running');
}
