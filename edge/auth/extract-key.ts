/**
 * The tenant key as clients send it: `Authorization: Bearer` (OpenAI SDKs, the ollama npm client
 * with a headers option, curl), `x-api-key` (Anthropic-style tools), or `Authorization: Basic`
 * with the key as password (clients that only take credentials in the URL, `https://u:key@host`).
 */
export function extractKey(headers: Headers): string | null {
  const auth = headers.get('authorization');
  if (auth) {
    const [scheme, value] = splitOnce(auth.trim(), ' ');
    const s = scheme.toLowerCase();
    if (s === 'bearer' && value) return value.trim();
    if (s === 'basic' && value) {
      try {
        const decoded = atob(value.trim());
        const idx = decoded.indexOf(':');
        const password = idx >= 0 ? decoded.slice(idx + 1) : decoded;
        return password || null;
      } catch {
        return null;
      }
    }
  }
  const apiKey = headers.get('x-api-key');
  return apiKey ? apiKey.trim() : null;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
