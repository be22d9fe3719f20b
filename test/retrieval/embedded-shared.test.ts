/**
 * One embedded PGlite (one Postgres session) shared over its socket by several clients, the way
 * batch replicas share it: whole protocol exchanges stay whole whatever the other connections
 * send, and a client that dies (SIGKILL, a reset connection) mid-transaction or mid-exchange
 * leaves nothing behind: its transaction rolled back, its prepared statements gone, the others'
 * transactions untouched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../origin/retrieval/store/embedded.ts';

let db: EmbeddedPostgres;
let admin: postgres.Sql;

beforeAll(async () => {
  db = await startEmbeddedPostgres({ maxConnections: 24 });
  admin = postgres(db.url, { max: 1, onnotice: () => {} });
  await admin`CREATE TABLE rows (client text NOT NULL, seq integer NOT NULL, PRIMARY KEY (client, seq))`;
});

afterAll(async () => {
  await admin?.end();
  await db?.close();
});

/** A client that speaks the wire protocol by hand, so it can stop anywhere in an exchange. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private seenText = '';
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
  }

  static async open(url: string): Promise<RawClient> {
    const u = new URL(url);
    const socket = connect(Number(u.port), u.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RawClient(socket);
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const start = Buffer.alloc(8);
    start.writeInt32BE(8 + params.length, 0);
    start.writeInt32BE(196608, 4);
    socket.write(Buffer.concat([start, params]));
    await c.readyForQuery();
    return c;
  }

  static msg(type: string, body: Buffer): Buffer {
    const head = Buffer.alloc(5);
    head.write(type, 0);
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  }

  query(text: string): void {
    this.socket.write(RawClient.msg('Q', Buffer.from(`${text}\0`)));
  }

  /** Parse + Bind + Execute of the unnamed statement and portal, without the Sync that ends the exchange. */
  executeWithoutSync(text: string): void {
    this.socket.write(
      Buffer.concat([
        RawClient.msg('P', Buffer.from(`\0${text}\0\0\0`)),
        RawClient.msg('B', Buffer.from('\0\0\0\0\0\0\0\0')),
        RawClient.msg('E', Buffer.from('\0\0\0\0\0')),
        RawClient.msg('H', Buffer.alloc(0)),
      ]),
    );
  }

  /** Waits for ReadyForQuery and returns its transaction status (I, T or E); consumes everything up to it. */
  async readyForQuery(): Promise<string> {
    for (;;) {
      let at = 0;
      while (at + 5 <= this.buf.length) {
        const type = String.fromCharCode(this.buf[at]!);
        const end = at + 1 + this.buf.readInt32BE(at + 1);
        if (end > this.buf.length) break;
        if (type === 'Z') {
          this.seenText = this.buf.subarray(0, at).toString('latin1');
          const status = String.fromCharCode(this.buf[at + 5]!);
          this.buf = this.buf.subarray(end);
          return status;
        }
        at = end;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** What the server sent before the last ReadyForQuery, as text. */
  received(): string {
    return this.seenText;
  }

  /** Waits until the server has answered with `type` (ParseComplete '1', CommandComplete 'C', …). */
  async seen(type: string): Promise<void> {
    while (!this.buf.includes(type)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** Rows a survivor's transaction writes, several statements each (extended protocol, through `postgres`). */
async function transactions(sql: postgres.Sql, client: string, from: number, count: number, errors: unknown[]): Promise<number> {
  let done = 0;
  for (let seq = from; seq < from + count; seq++) {
    try {
      await sql.begin(async (tx) => {
        await tx`INSERT INTO rows (client, seq) VALUES (${client}, ${seq})`;
        const [r] = await tx<{ n: string }[]>`SELECT count(*) AS n FROM rows WHERE client = ${client}`;
        await tx`UPDATE rows SET seq = seq WHERE client = ${client} AND seq = ${Number(r!.n) - 1}`;
      });
      done++;
    } catch (err) {
      errors.push(err);
    }
  }
  return done;
}

const rowsOf = async (client: string) => Number((await admin<{ n: string }[]>`SELECT count(*) AS n FROM rows WHERE client = ${client}`)[0]!.n);

describe('a PGlite shared over its socket', () => {
  it('rolls back a reset client’s transaction and nothing of the next one’s', async () => {
    const victim = await RawClient.open(db.url);
    victim.query("BEGIN; INSERT INTO rows (client, seq) VALUES ('reset', 1)");
    expect(await victim.readyForQuery()).toBe('T');
    // A survivor's transactions queue behind the victim's open one.
    const sql = postgres(db.url, { max: 2, onnotice: () => {} });
    const errors: unknown[] = [];
    const running = Promise.all([transactions(sql, 'after-reset-a', 0, 20, errors), transactions(sql, 'after-reset-b', 0, 20, errors)]);
    // Time for them to reach the server and queue (the checks below hold either way).
    await new Promise((r) => setTimeout(r, 50));
    // RST, as the kernel sends for a SIGKILLed process with unread data: the server sees an error and a close.
    victim.socket.resetAndDestroy();
    await running;
    await sql.end();
    expect(errors.map((e) => (e as Error).message)).toEqual([]);
    expect([await rowsOf('reset'), await rowsOf('after-reset-a'), await rowsOf('after-reset-b')]).toEqual([0, 20, 20]);
  });

  it('ends a dead client’s half-sent exchange without committing it', async () => {
    const victim = await RawClient.open(db.url);
    victim.executeWithoutSync("INSERT INTO rows (client, seq) VALUES ('half', 1)");
    await victim.seen('C');
    victim.socket.destroy();
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const errors: unknown[] = [];
    expect(await transactions(sql, 'after-half', 0, 5, errors)).toBe(5);
    await sql.end();
    expect(errors).toEqual([]);
    expect(await rowsOf('half')).toBe(0);
  });

  it('keeps statements outside transactions whole across connections', async () => {
    // An exchange sent in two parts: its unnamed portal must outlive what other connections send meanwhile.
    const slow = await RawClient.open(db.url);
    slow.socket.write(Buffer.concat([RawClient.msg('P', Buffer.from("\0SELECT 'slow'\0\0\0")), RawClient.msg('B', Buffer.from('\0\0\0\0\0\0\0\0')), RawClient.msg('H', Buffer.alloc(0))]));
    await slow.seen('2');
    let otherDone = false;
    const other = admin`SELECT 1`.execute().then(() => (otherDone = true));
    // Time for the other connection's exchange to reach the server: it waits for this one to end.
    await new Promise((r) => setTimeout(r, 50));
    expect(otherDone).toBe(false);
    slow.socket.write(Buffer.concat([RawClient.msg('E', Buffer.from('\0\0\0\0\0')), RawClient.msg('S', Buffer.alloc(0))]));
    expect(await slow.readyForQuery()).toBe('I');
    expect(slow.received()).not.toContain('portal');
    slow.socket.destroy();
    await other;

    const clients = Array.from({ length: 3 }, () => postgres(db.url, { max: 4, onnotice: () => {} }));
    const errors: unknown[] = [];
    await Promise.all(
      clients.flatMap((sql, c) =>
        Array.from({ length: 4 }, (_, lane) =>
          (async () => {
            for (let i = 0; i < 25; i++) {
              try {
                await sql`INSERT INTO rows (client, seq) VALUES (${`plain-${c}`}, ${lane * 1000 + i})`;
                const [r] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM rows WHERE client = ${`plain-${c}`} AND seq >= ${lane * 1000} AND seq < ${lane * 1000 + 1000}`;
                if (Number(r!.n) !== i + 1) errors.push(new Error(`lane ${c}/${lane} saw ${r!.n} rows after ${i + 1} inserts`));
              } catch (err) {
                errors.push(err);
              }
            }
          })(),
        ),
      ),
    );
    await Promise.all(clients.map((s) => s.end()));
    expect(errors.map((e) => (e as Error).message)).toEqual([]);
  });

  it('survives clients killed with SIGKILL in the middle of their transactions', async () => {
    const survivors = [postgres(db.url, { max: 4, onnotice: () => {} }), postgres(db.url, { max: 4, onnotice: () => {} })];
    const errors: unknown[] = [];
    let stop = false;
    const work = survivors.flatMap((sql, s) =>
      Array.from({ length: 3 }, (_, lane) =>
        (async () => {
          let n = 0;
          while (!stop) n += await transactions(sql, `survivor-${s}-${lane}`, n, 1, errors);
          return n;
        })(),
      ),
    );
    // A process that keeps four transactions going, killed without warning five times.
    const victimCode = `
      import postgres from 'postgres';
      const sql = postgres(process.env.DB_URL, { max: 4, onnotice: () => {} });
      let seq = 0;
      const lane = async () => { for (;;) await sql.begin(async (tx) => {
        await tx\`INSERT INTO rows (client, seq) VALUES (\${process.env.CLIENT}, \${seq++})\`;
        await tx\`SELECT count(*) FROM rows WHERE client = \${process.env.CLIENT}\`;
        if (seq === 8) console.log('busy');
      }); };
      await Promise.all([lane(), lane(), lane(), lane()]);`;
    for (let kill = 0; kill < 5; kill++) {
      const victim: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', victimCode], { env: { ...process.env, DB_URL: db.url, CLIENT: `victim-${kill}` }, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => victim.stdout!.on('data', () => resolve()));
      // Killed at a different point of its work each time.
      await new Promise((r) => setTimeout(r, 20 + kill * 30));
      victim.kill('SIGKILL');
      await new Promise((r) => victim.once('exit', r));
    }
    stop = true;
    const done = await Promise.all(work);
    expect(errors.map((e) => (e as Error).message)).toEqual([]);
    for (const [i, n] of done.entries()) expect(await rowsOf(`survivor-${Math.floor(i / 3)}-${i % 3}`)).toBe(n);
    await Promise.all(survivors.map((s) => s.end()));
    // Nothing is left open: a new connection is outside any transaction, and the dead clients' statements are gone.
    const fresh = await RawClient.open(db.url);
    fresh.query('SELECT 1');
    expect(await fresh.readyForQuery()).toBe('I');
    fresh.socket.destroy();
    const [left] = await admin<{ n: string }[]>`SELECT count(*) AS n FROM pg_prepared_statements`;
    expect(Number(left!.n)).toBeLessThan(10);
  }, 60_000);
});
