/** Where audit lines go. Each sink declares its region (checked against every tenant policy at start). */
export interface AuditSink {
  readonly name: string;
  readonly region: string;
  /** Prepares the sink (recovers the chain, connects); a failure here stops the start. */
  open(): Promise<void>;
  /** Durably stores one batch of serialized records, in order; rejects if any part may be lost. */
  write(lines: readonly string[]): Promise<void>;
  /** Flushes and ends (seals the file). */
  close(): Promise<void>;
}
