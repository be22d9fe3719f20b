/**
 * The client's own body for an OpenAI-compatible engine, with the engine's model name and usage
 * always requested (the origin accounts tokens from the engine's counts).
 */
export function forOpenAiUpstream(req: Record<string, unknown>, upstreamModel: string, stream: boolean): string {
  const body: Record<string, unknown> = { ...req, model: upstreamModel, stream };
  if (stream) body.stream_options = { ...((req.stream_options as object | null | undefined) ?? {}), include_usage: true };
  return JSON.stringify(body);
}
