/**
 * The output and error files in OpenAI's line format:
 * `{"id","custom_id","response":{"status_code","request_id","body"},"error"}`. A line the engine
 * answered 200 goes to the output file; any other answer, and a line never answered (expired,
 * cancelled), to the error file. Built by concatenation: the body is the JSON text the route
 * answered, so it is never parsed and written again.
 */
export interface FinishedLine {
  idx: number;
  customId: string;
  statusCode: number | null;
  requestId: string | null;
  response: string | null;
  error: { code: string; message: string } | null;
}

export function outputLine(batchId: string, l: FinishedLine): string {
  const id = JSON.stringify(`batch_req_${batchId.replace(/^batch_/, '')}_${l.idx}`);
  const response = l.statusCode === null || l.response === null ? 'null' : `{"status_code":${l.statusCode},"request_id":${JSON.stringify(l.requestId ?? '')},"body":${l.response}}`;
  return `{"id":${id},"custom_id":${JSON.stringify(l.customId)},"response":${response},"error":${l.error ? JSON.stringify(l.error) : 'null'}}\n`;
}

/** Whether a finished line belongs in the output file (else the error file). */
export function succeeded(l: FinishedLine): boolean {
  return l.statusCode !== null && l.statusCode >= 200 && l.statusCode < 300;
}
