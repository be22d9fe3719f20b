import type { Finding } from './finding.ts';
import type { Layout } from './layout.ts';
import { rules } from './rules/index.ts';

export interface CheckResult {
  layout: Layout;
  findings: Finding[];
  ok: boolean;
}

export function checkLayout(layout: Layout): CheckResult {
  const findings = rules.flatMap((r) => r.check(layout));
  return { layout, findings, ok: findings.every((f) => f.pass) };
}
