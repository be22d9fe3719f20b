/** One checked relation between two timers: a row of the report. */
export interface Finding {
  /** Rule id (rules/<id>.ts). */
  rule: string;
  /** Which hop the timer belongs to: "client → edge", "edge → origin", "origin → upstream". */
  hop: string;
  /** The setting checked, as the operator would write it. */
  setting: string;
  valueMs: number;
  /** The relation it must satisfy, with the other side's value filled in. */
  requirement: string;
  pass: boolean;
  /** What to change when it fails; why it matters when it passes. */
  note: string;
}

export interface Rule {
  id: string;
  /** One line: the rule as docs/design.md "Timeouts" states it. */
  title: string;
  check(layout: import('./layout.ts').Layout): Finding[];
}
