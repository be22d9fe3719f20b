/**
 * Codex CLI (npm @openai/codex) completes one turn through the edge (workerd, and Viceroy for Fastly) with a tenant key,
 * offline: `codex exec` with a config.toml in a fresh CODEX_HOME whose provider points at the
 * edge's /v1 with `wire_api = "responses"`. It sends one streamed `POST /v1/responses`
 * (`store: false`, developer messages, function + namespace + web_search tools).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startEdgeStack, type EdgeStack, type Runtime } from '../edge/harness/stack.ts';
import { agentBin, freshHome, runAgent } from './harness.ts';

for (const runtime of ['workers', 'fastly'] as Runtime[]) {
  describe(`edge on ${runtime}`, () => {
    let s: EdgeStack;
    beforeAll(async () => {
      agentBin('codex');
      s = await startEdgeStack(runtime, { timeScale: 0.01 });
    });
    afterAll(async () => {
      await s?.close();
    });

    /** `codex exec` with a provider pointed at the edge, in a fresh CODEX_HOME. */
    const codex = (prompt: string) => {
      const { home, cwd, remove } = freshHome();
      onTestFinished(remove);
      const codexHome = join(home, '.codex');
      mkdirSync(codexHome);
      writeFileSync(
        join(codexHome, 'config.toml'),
        [
          'model = "gpt-oss:20b"',
          'model_provider = "puerta"',
          'check_for_update_on_startup = false',
          '',
          '[model_providers.puerta]',
          'name = "Puerta"',
          `base_url = "${s.edge.url}/v1"`,
          'wire_api = "responses"',
          'env_key = "PUERTA_API_KEY"',
          '',
          '[analytics]',
          'enabled = false',
          '',
        ].join('\n'),
      );
      return runAgent('codex', ['exec', '--skip-git-repo-check', prompt], {
        home,
        cwd,
        timeoutMs: 150_000,
        env: { CODEX_HOME: codexHome, PUERTA_API_KEY: s.keys.open },
      });
    };

    it('codex exec answers through the edge with a tenant key', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      const run = await codex('Say hello in one line. [[sim:tokens=12]]');
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      // `codex exec` prints the final message on stdout; its progress goes to stderr.
      expect(run.stdout.trim().split(/\s+/).length, `${run.stdout}\n${run.stderr}`).toBeGreaterThanOrEqual(3);
      // No retries: Codex reconnects (up to five times) on any stream it cannot use.
      expect(run.stderr).not.toMatch(/Reconnecting|ERROR/);
      const stats = s.origin.sim.stats();
      expect(stats.requestsByModel['gpt-oss:20b']).toBeGreaterThanOrEqual(1);
      expect(stats.rejected['400'] + stats.rejected['500']).toBe(0);
    });

    it('recovers on its retry from a one-off engine failure mid-stream', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      const run = await codex(`Say hello in one line. [[sim:tokens=12,fault=error,after=3,once=codex-${runtime}]]`);
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout.trim().split(/\s+/).length, `${run.stdout}\n${run.stderr}`).toBeGreaterThanOrEqual(3);
      // Codex says so when it reconnects after the failed stream.
      expect(run.stderr).toMatch(/Reconnecting/);
      const stats = s.origin.sim.stats();
      expect(stats.faultsInjected.error).toBe(1);
      expect(stats.requestsByModel['gpt-oss:20b']).toBeGreaterThanOrEqual(2);
    });
  });
}
