/**
 * An origin that misbehaves on request, for the failures only the edge can handle: the real
 * origin never cuts a stream without an error event, so the edge's own guard and timeouts are
 * exercised against this one. `x-fault` (forwarded by the edge like any client header) selects:
 *   cut      SSE headers and one frame, then the socket is destroyed
 *   silent   SSE headers and one frame, then nothing (between-bytes timeout)
 *   no-head  the request is read and never answered (first-byte timeout)
 *   reset    the socket is destroyed before any response
 *   done-cut  a complete SSE stream (`data: [DONE]`), then the socket is destroyed mid-body
 *   error-cut SSE ending with the origin's own `event: error`, then the socket is destroyed
 *   error-partial SSE whose `event: error` frame is cut off mid-`data:` (socket destroyed)
 *   done-idle a complete SSE stream (`data: [DONE]`), then the body never ends (between-bytes timeout)
 *   done-split `data: [DONE]` written in two pieces 50 ms apart (`data: [DO`, `NE]\n\n`), then the body ends
 *   done-end  a complete SSE stream whose body ends right after `data: [DONE]`
 *   long-done one 40 KiB content frame and `data: [DONE]` in a single write, then the body ends
 *   long-completed a Responses stream whose response.completed frame (40 KiB) comes in 4 KiB writes, then the body ends
 *   trickle-silent six frames 250 ms apart (each gap under the edge's limit, their sum over it), then nothing
 *   endless   a frame every 20 ms until the client side goes; `endlessClosed()` counts those closes
 *   echo     200 JSON of the headers it received (what the edge forwards)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FaultOrigin {
  url: string;
  /** How many `endless` streams saw their connection closed by the edge (the client went away). */
  endlessClosed(): number;
  close(): Promise<void>;
}

export async function startFaultOrigin(): Promise<FaultOrigin> {
  const sockets = new Set<Socket>();
  let endlessClosed = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const fault = String(req.headers['x-fault'] ?? 'echo');
      const sse = () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n');
      };
      switch (fault) {
        case 'cut':
          sse();
          setTimeout(() => req.socket.destroy(), 50);
          return;
        case 'silent':
          sse();
          return;
        case 'no-head':
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'done-cut':
        case 'done-idle':
          sse();
          res.write('data: [DONE]\n\n');
          if (fault === 'done-cut') setTimeout(() => req.socket.destroy(), 50);
          return;
        case 'done-split':
          sse();
          res.write('data: [DO');
          setTimeout(() => res.end('NE]\n\n'), 50);
          return;
        case 'done-end':
          sse();
          res.end('data: [DONE]\n\n');
          return;
        case 'long-done':
          sse();
          res.end(`data: {"choices":[{"delta":{"content":"${'x'.repeat(40 * 1024)}"}}]}\n\ndata: [DONE]\n\n`);
          return;
        case 'long-completed': {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          res.write('event: response.created\ndata: {"type":"response.created"}\n\n');
          const frame = `event: response.completed\ndata: {"type":"response.completed","response":{"output_text":"${'x'.repeat(40 * 1024)}"}}\n\n`;
          for (let i = 0; i < frame.length; i += 4096) res.write(frame.slice(i, i + 4096));
          res.end();
          return;
        }
        case 'trickle-silent': {
          sse();
          let n = 0;
          const t = setInterval(() => {
            res.write(`data: {"choices":[{"delta":{"content":"${n}"}}]}\n\n`);
            if (++n === 6) clearInterval(t);
          }, 250);
          res.on('close', () => clearInterval(t));
          return;
        }
        case 'endless': {
          sse();
          const t = setInterval(() => res.write('data: {"choices":[{"delta":{"content":"more"}}]}\n\n'), 20);
          res.on('close', () => {
            clearInterval(t);
            endlessClosed++;
          });
          return;
        }
        case 'error-partial':
          sse();
          res.write('event: error\ndata: {"error":{"message":"engine fa');
          setTimeout(() => req.socket.destroy(), 50);
          return;
        case 'error-cut':
          sse();
          res.write('event: error\ndata: {"error":{"message":"engine failed","type":"server_error","code":"upstream_error","param":null,"retryable":true}}\n\n');
          setTimeout(() => req.socket.destroy(), 50);
          return;
        default:
          res.writeHead(200, { 'content-type': 'application/json', 'x-puerta-leak': 'internal', 'keep-alive': 'timeout=5' });
          res.end(JSON.stringify({ headers: req.headers, url: req.url }));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    endlessClosed: () => endlessClosed,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
