/** Body edits both upstream dialects make when they apply a persona. */
type Body = Record<string, unknown>;

export function options(body: Body): Body {
  const o = body.options;
  if (o && typeof o === 'object' && !Array.isArray(o)) return o as Body;
  const fresh: Body = {};
  body.options = fresh;
  return fresh;
}

export function prependSystem(body: Body, system: string): void {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  body.messages = [{ role: 'system', content: system }, ...messages];
}
