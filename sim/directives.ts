import { faultKinds, type FaultKind, type FaultSpec } from './types.ts';

/**
 * Per-request instructions to the simulator, carried in the prompt (`[[sim:...]]`) or in the
 * `x-sim-fault` / `x-sim-tokens` headers, so tests can drive one request through any proxy
 * without a side channel. Grammar in README.md.
 */
export interface Directives {
  fault?: FaultSpec;
  /** Natural answer length in tokens. */
  tokens?: number;
  /** Tools to call, by name (`*` = every tool the request offers), when the request offers tools. */
  call?: string[];
  /** Arguments for those calls (a JSON object); drawn from each tool's parameter schema when absent. */
  args?: Record<string, unknown>;
}

const directiveRe = /\[\[sim:([^\]]*)\]\]/g;

export function hasDirective(text: string): boolean {
  return text.includes('[[sim:');
}

/** Removes directives so they do not change language detection or the seeded text. */
export function stripDirectives(text: string): string {
  return text.replace(directiveRe, '');
}

export function parseDirectives(text: string, into: Directives = {}): Directives {
  if (!hasDirective(text)) return into;
  directiveRe.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = directiveRe.exec(text)) !== null) {
    const pairs = parsePairs((m[1] ?? '').split(/[,;]/));
    applyPairs(pairs, into);
  }
  return into;
}

/** `x-sim-fault: error;after=3` — kind first, then key=value pairs separated by ; or ,. */
export function parseFaultHeader(value: string, into: Directives = {}): Directives {
  const parts = value.split(/[;,]/).map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) return into;
  const first = parts[0] as string;
  const pairs = parsePairs(first.includes('=') ? parts : [`fault=${first}`, ...parts.slice(1)]);
  applyPairs(pairs, into);
  return into;
}

function parsePairs(parts: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    map.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return map;
}

function applyPairs(pairs: Map<string, string>, into: Directives): void {
  const tokens = pairs.get('tokens');
  if (tokens !== undefined && /^\d+$/.test(tokens)) into.tokens = Number(tokens);
  const call = pairs.get('call');
  if (call !== undefined) into.call = call.split('|').map((n) => n.trim()).filter(Boolean);
  const args = pairs.get('args');
  if (args !== undefined) into.args = jsonObject(decodeURIComponent(args));
  const kind = pairs.get('fault');
  if (kind === undefined || !(faultKinds as readonly string[]).includes(kind)) return;
  const spec: FaultSpec = { kind: kind as FaultKind, after: intOr(pairs.get('after'), 0) };
  const ms = pairs.get('ms');
  if (ms !== undefined) spec.ms = intOr(ms, 0);
  const status = pairs.get('status') ?? pairs.get('code');
  if (status !== undefined) spec.status = intOr(status, 500);
  const message = pairs.get('message');
  if (message !== undefined) spec.message = decodeURIComponent(message);
  const once = pairs.get('once');
  if (once) spec.once = once;
  into.fault = spec;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function intOr(v: string | undefined, d: number): number {
  if (v === undefined || !/^\d+$/.test(v)) return d;
  return Number(v);
}
