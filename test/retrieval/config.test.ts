import { describe, expect, it } from 'vitest';
import { ConfigError, loadOriginConfig } from '../../origin/config/load.ts';
import { startOrigin } from '../../origin/node/server.ts';
import { chunkText } from '../../origin/retrieval/chunker.ts';
import { dynamicK } from '../../origin/retrieval/top-k.ts';
import { countTokens } from '../../origin/retrieval/tokens.ts';

const base = { OLLAMA_URL: 'http://127.0.0.1:9', PUERTA_REGION: 'cr-sjo-1', RETRIEVAL_ENABLED: 'true' };

describe('retrieval configuration', () => {
  it('refuses at start a database outside the residency policy, naming it and the policy', () => {
    const env = { ...base, DATABASE_URL: 'postgres://rag@db.us-east.example:5432/rag', DATABASE_REGION: 'us-east-1' };
    expect(() => loadOriginConfig({ env })).toThrow(ConfigError);
    try {
      loadOriginConfig({ env });
    } catch (err) {
      expect((err as Error).message).toContain('retrieval.databaseRegion');
      expect((err as Error).message).toContain("the retrieval database (DATABASE_URL host db.us-east.example:5432) is in region 'us-east-1', outside the allowed regions [cr-sjo-1]");
    }
    // A tenant policy that allows less than the default is checked too.
    const tenant = { ...env, DATABASE_REGION: 'cr-sjo-1', AUDIT_ALLOWED_REGIONS: 'cr-sjo-1,cr-lib-1' };
    expect(() => loadOriginConfig({ env: tenant, overrides: { audit: { tenants: { acme: { allowedRegions: ['cr-lib-1', 'cr-sjo-1'] } } } } })).not.toThrow();
    expect(() => loadOriginConfig({ env: { ...tenant, DATABASE_REGION: 'cr-lib-1' }, overrides: { audit: { tenants: { acme: { allowedRegions: ['cr-sjo-1'] } } } } })).toThrow(/tenant 'acme' policy/);
  });

  it('a database URL must declare its region; an alias with retrieval needs the stage on', () => {
    expect(() => loadOriginConfig({ env: { ...base, DATABASE_URL: 'postgres://db:5432/rag' } })).toThrow(/DATABASE_REGION/);
    const alias = { routing: { aliases: { rag: { model: 'm', retrieval: { collection: 'docs' } } } } };
    expect(() => loadOriginConfig({ env: { ...base, RETRIEVAL_ENABLED: 'false' }, overrides: alias })).toThrow(/RETRIEVAL_ENABLED=true/);
    expect(() => loadOriginConfig({ env: base, overrides: { retrieval: { chunk: { tokens: 50, overlap: 50 } } } })).toThrow(/chunk.overlap/);
    expect(() => loadOriginConfig({ env: base, overrides: { retrieval: { topK: { min: 9, max: 4 } } } })).toThrow(/topK.min/);
  });

  it('a database that cannot be reached stops the start with its host named', async () => {
    const err = await startOrigin({ env: { ...base, DATABASE_URL: 'postgres://rag@127.0.0.1:9/rag', DATABASE_REGION: 'cr-sjo-1', LOG_LEVEL: 'silent', PORT: '0' } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/retrieval store: cannot prepare the database at DATABASE_URL \(127\.0\.0\.1:9\)/);
  });
});

describe('chunking and the dynamic top-k', () => {
  it('chunks by tokens with overlap, ending at sentence ends where it can', () => {
    const text = Array.from({ length: 30 }, (_, i) => `Oración número ${i} con algunas palabras más.`).join(' ');
    const chunks = chunkText(text, { tokens: 40, overlap: 8 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(40);
      expect(countTokens(c.text)).toBe(c.tokens);
    }
    for (const c of chunks.slice(0, -1)) expect(c.text.endsWith('.')).toBe(true);
    // The overlap: each chunk starts inside the previous one.
    for (let i = 1; i < chunks.length; i++) expect(chunks[i - 1]!.text).toContain(chunks[i]!.text.split(' ').slice(0, 3).join(' '));
  });

  it('keeps min..max chunks, cut by the relevance floor and by a gap in scores', () => {
    const s = { min: 4, max: 8, floor: 0.2, gap: 0.12 };
    expect(dynamicK([0.9, 0.88, 0.86, 0.85, 0.84, 0.83, 0.82, 0.81, 0.8, 0.79], s)).toBe(8);
    expect(dynamicK([0.9, 0.5, 0.45, 0.44, 0.43, 0.2, 0.1], s)).toBe(5);
    expect(dynamicK([0.9, 0.85, 0.8, 0.75, 0.4, 0.39], s)).toBe(4);
    expect(dynamicK([0.5, 0.3, 0.1], s)).toBe(2);
    expect(dynamicK([0.15, 0.1], s)).toBe(0);
  });
});
