/** Ollama treats a name without a tag as `:latest`; match that so `llama3.2` finds `llama3.2:latest`. */
export function canonicalModelName(name: string, kind: 'ollama' | 'openai'): string {
  if (kind !== 'ollama') return name;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}
