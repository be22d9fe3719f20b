import { z } from 'zod';

/**
 * What an operator did in the console (origin/console/), as one line of the audit trail beside
 * the request records: who, what, to which object, and whether it worked. Ids and names only;
 * never a key, a password, a prompt or an engine's own error text.
 */
export const operatorActionSchema = z.enum([
  'login',
  'login_refused',
  'logout',
  'tenant_created',
  'tenant_suspended',
  'tenant_activated',
  'tenant_updated',
  'tenants_exported',
  'key_issued',
  'key_revoked',
  'model_unloaded',
  'model_warmed',
  'engine_drained',
  'engine_resumed',
  'audit_verified',
  'audit_exported',
]);
export type OperatorAction = z.infer<typeof operatorActionSchema>;

export const operatorRecordSchema = z.object({
  type: z.literal('operator'),
  at: z.string(),
  operator: z.string(),
  action: operatorActionSchema,
  /** The object acted on: a tenant id, a key id, `upstream/model`, an audit day. */
  target: z.string().nullable(),
  outcome: z.enum(['ok', 'failed']),
  /** An error code (never an engine's text) when the action failed. */
  reason: z.string().nullable(),
  region: z.string(),
  node: z.string(),
});
export type OperatorRecord = z.infer<typeof operatorRecordSchema>;

export interface OperatorEvent {
  operator: string;
  action: OperatorAction;
  target?: string | undefined;
  outcome?: 'ok' | 'failed';
  reason?: string | undefined;
}

/** Key order fixed (the type first), so lines are recognisable by their prefix as request lines are. */
export function toOperatorRecord(e: OperatorEvent, where: { region: string; node: string }, now = Date.now()): OperatorRecord {
  return {
    type: 'operator',
    at: new Date(now).toISOString(),
    operator: e.operator,
    action: e.action,
    target: e.target ?? null,
    outcome: e.outcome ?? 'ok',
    reason: e.reason ?? null,
    region: where.region,
    node: where.node,
  };
}
