/**
 * Issue 19's model allow-list bypass, against the real engine: a tenant allowed only tiny-chat
 * sends `{"model":"tiny-chat","Model":"tiny-repeat",…}`. JavaScript reads `model`; Ollama's Go
 * decoder matches `Model` to the same field and keeps the last, so before the fix the engine ran
 * tiny-repeat. Through the edge (workerd, edge-signed origin) and through a keys-mode origin,
 * each such body is refused with a 400 naming the key or runs the allowed model, which the engine
 * itself names in its answer; a property over generated spellings (case, ſ/K, `\uXXXX` escapes,
 * duplicates, nested copies) holds the same for every body.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addKey, ensureSecretsFile, putTenant, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { startWorkerdEdge } from '../../edge/local/workerd.ts';
import type { RunningEdge } from '../../edge/local/types.ts';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import type { TenantsFile } from '../../shared/tenants.ts';
import { describeOllama, startOllama, tinyModels, warm, type OllamaProcess } from '../helpers/ollama.ts';
import { keyLiteral, objectText, spelledKey } from '../helpers/key-spellings.ts';

const SNEAKED = tinyModels.repeat;

type Path = '/api/chat' | '/api/generate' | '/api/embed';
/** The tenant's models: tiny-chat for chat and generate, tiny-embed for embed. */
const ALLOWED_FOR: Record<Path, string> = { '/api/chat': tinyModels.chat, '/api/generate': tinyModels.chat, '/api/embed': tinyModels.embed };
const REST: Record<Path, Array<[string, string]>> = {
  '/api/chat': [['"stream"', 'false'], ['"messages"', '[{"role":"user","content":"hi"}]'], ['"options"', '{"num_predict":2}']],
  '/api/generate': [['"stream"', 'false'], ['"prompt"', '"hi"'], ['"options"', '{"num_predict":2}']],
  '/api/embed': [['"input"', '"hi"']],
};

describeOllama('a second spelling of `model` never runs a model the tenant may not call (real Ollama)', () => {
  let engine: OllamaProcess;
  let keysOrigin: RunningOrigin;
  let edgeOrigin: RunningOrigin;
  let edge: RunningEdge;
  let key: string;
  const via: Record<'edge' | 'origin', () => string> = { edge: () => edge.url, origin: () => keysOrigin.url };

  beforeAll(async () => {
    engine = await startOllama({ numParallel: 1 });
    await warm(engine.url);
    const dir = mkdtempSync(join(tmpdir(), 'puerta-differential-'));
    const data: TenantsFile = {};
    putTenant(data, { id: 'chat-only', models: [tinyModels.chat, tinyModels.embed] });
    key = (await addKey(data, 'chat-only')).key;
    const tenantsFile = join(dir, 'tenants.json');
    writeTenantsFile(tenantsFile, data);
    const secret = ensureSecretsFile(join(dir, 'edge-secrets.json'));
    const base = { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'ollama', url: engine.url }] };
    keysOrigin = await startOrigin({ env: {}, overrides: { ...base, auth: { mode: 'keys', tenantsFile } } });
    edgeOrigin = await startOrigin({ env: {}, overrides: { ...base, auth: { mode: 'edge', edgeSecret: secret, maxSkewMs: 60_000 } } });
    edge = await startWorkerdEdge({ originUrl: edgeOrigin.url, tenantsFile, signingSecret: secret, vars: { DEFAULT_COUNTRY: 'DE' } });
  });
  afterAll(async () => {
    await edge?.close();
    await edgeOrigin?.close();
    await keysOrigin?.close();
    await engine?.stop();
  });

  /** The model the engine says it ran, or the refusal. */
  async function send(through: 'edge' | 'origin', path: Path, text: string): Promise<{ status: number; model?: string; error?: string }> {
    const res = await fetch(`${via[through]()}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: text });
    const body = (await res.json()) as { model?: string; error?: string };
    return { status: res.status, ...(body.model !== undefined ? { model: body.model } : {}), ...(typeof body.error === 'string' ? { error: body.error } : {}) };
  }

  it('`{"model":"tiny-chat","Model":"tiny-repeat"}` is refused naming `Model`, at the edge and at the origin, on chat, generate and embed', { timeout: 60_000 }, async () => {
    for (const through of ['edge', 'origin'] as const) {
      for (const path of Object.keys(REST) as Path[]) {
        const text = objectText([['"model"', JSON.stringify(ALLOWED_FOR[path])], ['"Model"', JSON.stringify(SNEAKED)], ...REST[path]]);
        const r = await send(through, path, text);
        expect(r.model ?? null, `${through} ${path}`).not.toBe(SNEAKED);
        expect(r, `${through} ${path}`).toMatchObject({ status: 400, error: expect.stringContaining('Model') });
      }
      // The allowed model alone still runs, and the engine names it.
      expect(await send(through, '/api/chat', objectText([['"model"', JSON.stringify(tinyModels.chat)], ...REST['/api/chat']]))).toMatchObject({ status: 200, model: tinyModels.chat });
    }
  });

  it('property: whatever the spelling, the model the engine reports is the one the gateway allowed (40 generated bodies)', { timeout: 120_000 }, async () => {
    const seen = { refused: 0, ran: 0 };
    const body = fc.record({
      path: fc.constantFrom<Path>('/api/chat', '/api/generate', '/api/embed'),
      through: fc.constantFrom<'edge' | 'origin'>('edge', 'origin'),
      // Top-level copies of `model` naming the sneaked model (none, one, two), before or after the real one.
      top: fc.array(fc.tuple(spelledKey('model'), fc.boolean()), { maxLength: 2 }),
      // Copies nested where the engine never reads a model: options (a map) and the message.
      nested: fc.array(spelledKey('model'), { maxLength: 1 }),
      escapeReal: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(body, async (g) => {
        const sneak = (k: { literal: string }): [string, string] => [k.literal, JSON.stringify(SNEAKED)];
        const rest = REST[g.path].map(([k, v]): [string, string] =>
          k === '"options"' && g.nested.length ? [k, objectText([['"num_predict"', '2'], ...g.nested.map(sneak)])] : [k, v],
        );
        const entries: Array<[string, string]> = [
          ...g.top.filter(([, before]) => before).map(([k]) => sneak(k)),
          [keyLiteral('model', g.escapeReal ? [true, false, true] : []), JSON.stringify(ALLOWED_FOR[g.path])],
          ...rest,
          ...g.top.filter(([, before]) => !before).map(([k]) => sneak(k)),
        ];
        const r = await send(g.through, g.path, objectText(entries));
        if (r.status === 400) {
          seen.refused++;
          expect(r.error).toMatch(/model|Model|MODEL/i);
          return;
        }
        seen.ran++;
        expect(r).toMatchObject({ status: 200, model: ALLOWED_FOR[g.path] });
      }),
      { numRuns: 40, seed: 0x19 },
    );
    // Both sides of the rule were exercised: bodies refused, and bodies run.
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.ran).toBeGreaterThan(0);
  });
});
