/**
 * OpenCode (npm opencode-ai) completes one turn through the edge (workerd, and Viceroy for Fastly) with a tenant key,
 * offline: an `@ai-sdk/openai-compatible` provider (bundled in OpenCode, nothing fetched at run
 * time) pointed at the edge's /v1. It sends two streamed chat completions (a title, then the turn
 * with its tools and stream_options.include_usage). A turn whose stream the engine fails mid-way,
 * once, is retried by OpenCode and answered: the failure reads as OpenAI's own `server_error`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startEdgeStack, type EdgeStack, type Runtime } from '../edge/harness/stack.ts';
import { agentBin, freshHome, runAgent } from './harness.ts';

for (const runtime of ['workers', 'fastly'] as Runtime[]) {
  describe(`edge on ${runtime}`, () => {
    let s: EdgeStack;
    beforeAll(async () => {
      agentBin('opencode');
      s = await startEdgeStack(runtime, { timeScale: 0.01 });
    });
    afterAll(async () => {
      await s?.close();
    });

    /** `opencode run` with a provider pointed at the edge, in a fresh HOME. */
    const opencode = async (args: string[]) => {
      const { home, cwd, remove } = freshHome();
      onTestFinished(remove);
      const config = join(home, 'opencode.json');
      writeFileSync(
        config,
        JSON.stringify({
          $schema: 'https://opencode.ai/config.json',
          autoupdate: false,
          share: 'disabled',
          provider: {
            puerta: {
              npm: '@ai-sdk/openai-compatible',
              name: 'Puerta',
              options: { baseURL: `${s.edge.url}/v1`, apiKey: '{env:PUERTA_API_KEY}' },
              models: { 'gpt-oss:20b': { name: 'gpt-oss 20b', tool_call: true, reasoning: true } },
            },
          },
        }),
      );
      return runAgent('opencode', ['run', '-m', 'puerta/gpt-oss:20b', ...args], {
        home,
        cwd,
        timeoutMs: 150_000,
        env: {
          OPENCODE_CONFIG: config,
          OPENCODE_DISABLE_MODELS_FETCH: '1',
          OPENCODE_DISABLE_AUTOUPDATE: '1',
          OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
          OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
          OPENCODE_DISABLE_SHARE: '1',
          PUERTA_API_KEY: s.keys.open,
        },
      });
    };

    it('opencode run answers through the edge with a tenant key', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      const run = await opencode(['Say hello in one line. [[sim:tokens=12]]']);
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      // The answer: the simulator's words, after OpenCode's "> build · model" header.
      const answer = run.stdout.split('\n').filter((l) => l.trim() && !l.includes('gpt-oss:20b')).join(' ');
      expect(answer.replace(/\x1b\[[0-9;]*m/g, '').trim().split(/\s+/).length).toBeGreaterThanOrEqual(3);
      // Both requests (title + turn) reached the engine through the edge and the origin.
      const stats = s.origin.sim.stats();
      expect(stats.requestsByModel['gpt-oss:20b']).toBeGreaterThanOrEqual(2);
      expect(stats.rejected['400'] + stats.rejected['500']).toBe(0);
    });

    it('recovers on its retry from a one-off engine failure mid-stream', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      // A title given: no title request, so the turn is the one request that carries the fault.
      const run = await opencode(['--title', 'retry check', `Say hello in one line. [[sim:tokens=12,fault=error,after=3,once=opencode-${runtime}]]`]);
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const answer = run.stdout.split('\n').filter((l) => l.trim() && !l.includes('gpt-oss:20b')).join(' ');
      expect(answer.replace(/\x1b\[[0-9;]*m/g, '').trim().split(/\s+/).length, `${run.stdout}\n${run.stderr}`).toBeGreaterThanOrEqual(3);
      const stats = s.origin.sim.stats();
      // The engine failed the first stream after three tokens, and the retry was answered whole.
      expect(stats.faultsInjected.error).toBe(1);
      expect(stats.requestsByModel['gpt-oss:20b']).toBeGreaterThanOrEqual(2);
    });
  });
}
