/**
 * Request headers past the origin's limit (Node's maxHeaderSize, 16 KiB), from a client's side: a
 * 431 in the client's dialect, and the connection closed with a FIN, not a reset. Node's default
 * answered and destroyed the socket at once; with the rest of a 64 KiB–1 MiB head unread, the
 * close was a TCP reset and curl reported "Connection reset by peer" instead of the answer.
 *
 * The client is a plain socket in a separate Python process: it sends the whole head, then reads to
 * the end and says whether the end was a FIN or a reset. (Node's own sockets, in this process or
 * another, report a reset after a complete answer as a normal end, so they cannot tell.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRaw, startTarget, type Target } from './harness.ts';

const CLIENT = `
import json, socket, sys
host, port, path, name, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
s = socket.create_connection((host, port))
s.settimeout(30)
out, ending = b'', 'fin'
try:
    s.sendall(f'GET {path} HTTP/1.1\\r\\nHost: {host}:{port}\\r\\nConnection: close\\r\\n{name}: Bearer '.encode() + b'a' * size + b'\\r\\n\\r\\n')
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except ConnectionResetError:
    ending = 'reset'
except BrokenPipeError:
    ending = 'reset while sending'
except socket.timeout:
    ending = 'timeout'
head, _, body = out.partition(b'\\r\\n\\r\\n')
print(json.dumps({'ending': ending, 'head': head.decode('latin1'), 'body': body.decode('latin1')}))
`;

interface Ending {
  ending: string;
  head: string;
  body: string;
}

async function sendHead(url: string, path: string, header: string, bytes: number): Promise<Ending> {
  const { hostname, port } = new URL(url);
  const { stdout } = await promisify(execFile)('python3', ['-c', CLIENT, hostname, port, path, header, String(bytes)], { timeout: 60_000 });
  return JSON.parse(stdout) as Ending;
}

const SIZES_KIB = [17, 64, 256, 1024];

/**
 * One connection: `first` sent, then `then` once what came back matches `after`; resolves with
 * everything received when the origin closes the connection.
 */
async function pipelined(url: string, first: string, after: RegExp, then: string): Promise<string> {
  const c = openRaw(url, first);
  let closed = false;
  void c.closed.then(() => (closed = true));
  await expect.poll(() => after.test(c.received()), { timeout: 20_000 }).toBe(true);
  c.socket.write(then);
  // What came back so far, while the connection is open: a failure shows it.
  await expect.poll(() => (closed ? 'closed' : `open; received: ${c.received().slice(0, 400)}`), { timeout: 20_000 }).toBe('closed');
  return c.received();
}

describe('an origin in keys mode, headers past its limit', () => {
  let t: Target;
  beforeAll(async () => {
    t = await startTarget('origin-keys');
  });
  afterAll(() => t?.close());

  it.each(SIZES_KIB)('%i KiB Authorization: a 431 in the OpenAI shape, then a FIN, not a reset', async (kib) => {
    const r = await sendHead(t.url, '/v1/models', 'Authorization', kib * 1024);
    expect(r.ending, r.head).toBe('fin');
    expect(r.head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(r.head).toMatch(/\r\nconnection: close(\r\n|$)/i);
    const body = JSON.parse(r.body) as { error: { code: string; message: string; type: string }; request_id: string };
    expect(body.error).toMatchObject({ code: 'request_header_fields_too_large', type: 'request_too_large' });
    expect(body.error.message).toContain('16384 bytes');
    expect(r.head).toContain(`x-request-id: ${body.request_id}`);
  });

  it('answers an Ollama path in the Ollama shape ({"error": "…"})', async () => {
    const r = await sendHead(t.url, '/api/tags', 'Cookie', 256 * 1024);
    expect(r.ending).toBe('fin');
    expect(r.head).toMatch(/^HTTP\/1\.1 431 /);
    expect(typeof (JSON.parse(r.body) as { error: unknown }).error).toBe('string');
  });

  // Node's parser reads on while a response streams: bytes that do not parse as the next request
  // must end the connection, not put a status line into the middle of the stream's body. With a
  // request queued between them, the response in flight is still the stream's, not the queued one's.
  it.each([
    ['nothing between them', ''],
    ['a second request queued between them', 'GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('a request that does not parse, behind a stream still being written (%s): the connection is closed, nothing written into the stream', async (_, between) => {
    const body = JSON.stringify({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: 'go on [[sim:tokens=400000]]' }] });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.keys.open}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const got = await pipelined(t.url, head + body, /\r\n\r\n[\s\S]*data: \{/, `${between}NOT HTTP AT ALL\r\n\r\n`);
    expect(got).toMatch(/^HTTP\/1\.1 200 /);
    expect(got.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
  });

  it('a request that does not parse after a finished answer on the same connection: Node\'s 400, then the close', async () => {
    const got = await pipelined(t.url, 'GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n', /\r\n\r\n\{[\s\S]*\}$/, 'NOT HTTP AT ALL\r\n\r\n');
    expect(got).toMatch(/^HTTP\/1\.1 401 /);
    expect(got).toMatch(/HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
  });

  it('still serves a request with headers within the limit', async () => {
    const r = await sendHead(t.url, '/v1/models', 'X-Padding', 8 * 1024);
    expect(r.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(r.ending).toBe('fin');
  });
});
