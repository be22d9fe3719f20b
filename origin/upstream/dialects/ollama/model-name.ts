/** Ollama treats a name without a tag as `:latest`; match that so `llama3.2` finds `llama3.2:latest`. */
export function withLatestTag(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}
