import OpenAI, { toFile } from 'openai';

/** Request lines of a batch input file for `endpoint`, `n` of them, with custom ids `req-0`…; `[[sim:…]]` directives shape the simulator's answer. */
export function chatLines(n: number, opts: { model?: string; tokens?: number; from?: number } = {}): string {
  let out = '';
  for (let i = opts.from ?? 0; i < (opts.from ?? 0) + n; i++) {
    out += JSON.stringify({ custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: opts.model ?? 'llama3.2:3b', messages: [{ role: 'user', content: `line ${i} [[sim:tokens=${opts.tokens ?? 3}]]` }] } }) + '\n';
  }
  return out;
}

export function embeddingLines(n: number, model = 'nomic-embed-text'): string {
  let out = '';
  for (let i = 0; i < n; i++) out += JSON.stringify({ custom_id: `emb-${i}`, method: 'POST', url: '/v1/embeddings', body: { model, input: `passage ${i}` } }) + '\n';
  return out;
}

/** Uploads `jsonl` and starts a batch on it through the official client. */
export async function submit(client: OpenAI, jsonl: string, endpoint: '/v1/chat/completions' | '/v1/embeddings' = '/v1/chat/completions'): Promise<OpenAI.Batch> {
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'input.jsonl'), purpose: 'batch' });
  return client.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h', metadata: { suite: 'batch' } });
}

/** The lines of an output or error file, parsed. */
export async function fileLines(client: OpenAI, id: string | null | undefined): Promise<Array<{ id: string; custom_id: string; response: { status_code: number; request_id: string; body: any } | null; error: { code: string; message: string } | null }>> {
  if (!id) return [];
  const text = await (await client.files.content(id)).text();
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
