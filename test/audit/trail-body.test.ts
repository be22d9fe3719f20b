import { describe, expect, it } from 'vitest';
import { auditConfigSchema } from '../../origin/audit/config.ts';
import { AuditTrail } from '../../origin/audit/trail.ts';
import type { Logger } from 'pino';
import type { RequestRecord } from '../../origin/core/record.ts';

const body = () => ({ model: 'm', stream: true, messages: [{ role: 'user', content: 'a long conversation' }] });
const record = (tenant: string) => ({ tenant: { id: tenant }, stream: true, requestBody: body() }) as unknown as RequestRecord;

describe('audit trail: the request body a stream keeps', () => {
  it('is let go at the start unless the tenant’s policy reads it at the end (prompt digest, content logging)', () => {
    const cfg = auditConfigSchema.parse({ tenants: { digest: { promptDigest: true }, content: { contentLogging: true } } });
    const trail = new AuditTrail(cfg, [], {} as Logger);
    const plain = record('plain');
    const digest = record('digest');
    const content = record('content');
    for (const r of [plain, digest, content]) trail.onStart(r);
    expect(plain.requestBody).toBeUndefined();
    expect(digest.requestBody).toEqual(body());
    expect(content.requestBody).toEqual(body());
  });
});
