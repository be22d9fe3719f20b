/**
 * The output and error files in OpenAI's line format:
 * `{"id","custom_id","response":{"status_code","request_id","body"},"error"}`. A line answered 2xx
 * goes to the output file; any other answer, and a line expired unanswered, to the error file
 * (BatchStore.resultPages). Built by concatenation: the body is the JSON text the route
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

