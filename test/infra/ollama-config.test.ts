import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkDeployment, loadInput, parseModelfile, parseSystemdEnvironment } from '../../infra/check-ollama.ts';

describe('Ollama deployment files against the origin configuration', () => {
  const input = loadInput(process.cwd());

  it('the repository files agree: slots = OLLAMA_NUM_PARALLEL, keep-alive, num_ctx, comments', () => {
    expect(checkDeployment(input)).toEqual([]);
  });

  it('sets every tuned variable, each with a comment saying why', () => {
    const env = parseSystemdEnvironment(input.overrideText);
    for (const k of ['OLLAMA_NUM_PARALLEL', 'OLLAMA_FLASH_ATTENTION', 'OLLAMA_KV_CACHE_TYPE', 'OLLAMA_KEEP_ALIVE', 'OLLAMA_MAX_LOADED_MODELS', 'OLLAMA_GPU_OVERHEAD', 'OLLAMA_LOAD_TIMEOUT']) {
      expect(env.get(k)?.comment.length, k).toBeGreaterThan(20);
    }
    expect(env.get('OLLAMA_KV_CACHE_TYPE')?.value).toBe('q8_0');
    expect(Object.keys(input.modelfiles).sort()).toEqual(['Modelfile.embedding', 'Modelfile.rag-chat', 'Modelfile.reasoning']);
    for (const [name, text] of Object.entries(input.modelfiles)) {
      const ctx = Number(parseModelfile(text).params.get('num_ctx')?.value);
      expect(ctx, name).toBeGreaterThan(0);
      expect(ctx, `${name}: a reduced context`).toBeLessThan(131072);
    }
  });

  it('catches an origin whose slot count differs from OLLAMA_NUM_PARALLEL', () => {
    const problems = checkDeployment({ ...input, originEnv: { ...input.originEnv, OLLAMA_NUM_PARALLEL: '8' } });
    expect(problems).toContain('origin admission slots 8 != engine OLLAMA_NUM_PARALLEL 4: set OLLAMA_NUM_PARALLEL=4 in the origin\'s environment (admission.defaultSlots)');
  });

  it('catches a quantized KV cache without flash attention, a missing comment and a Modelfile without num_ctx', () => {
    const override = input.overrideText.replace('OLLAMA_FLASH_ATTENTION=1', 'OLLAMA_FLASH_ATTENTION=0') + '\nEnvironment="OLLAMA_DEBUG=1"\n';
    const problems = checkDeployment({ ...input, overrideText: override, modelfiles: { ...input.modelfiles, 'Modelfile.extra': 'FROM llama3.2:3b\n' } });
    expect(problems.join('\n')).toContain('OLLAMA_KV_CACHE_TYPE=q8_0 needs OLLAMA_FLASH_ATTENTION=1');
    expect(problems.join('\n')).toContain('OLLAMA_DEBUG=1 has no comment saying why');
    expect(problems.join('\n')).toContain('Modelfile.extra: no PARAMETER num_ctx');
    expect(problems.join('\n')).toContain('4 Modelfiles but OLLAMA_MAX_LOADED_MODELS=3');
  });

  it('npm run check:infra exits 0 on the repository files and 1 with the problems listed', () => {
    const ok = spawnSync(process.execPath, ['--import', 'tsx', 'infra/check-ollama.ts'], { encoding: 'utf8', timeout: 60_000 });
    expect(ok.status, ok.stderr).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'puerta-infra-'));
    try {
      const env = join(dir, 'origin.env');
      writeFileSync(env, readFileSync('infra/origin/origin.env.example', 'utf8').replace('OLLAMA_NUM_PARALLEL=4', 'OLLAMA_NUM_PARALLEL=2'));
      const bad = spawnSync(process.execPath, ['--import', 'tsx', 'infra/check-ollama.ts', '--env', env, '--config', 'infra/origin/origin.json'], { encoding: 'utf8', timeout: 60_000 });
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('origin admission slots 2 != engine OLLAMA_NUM_PARALLEL 4');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
