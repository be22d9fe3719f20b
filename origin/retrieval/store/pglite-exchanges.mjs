// Whole protocol exchanges, one connection at a time, on the one PGlite session that
// @electric-sql/pglite-socket serves to several connections (batch replicas share it).
//
// Why not the library's own QueryQueueManager (0.2.17; 0.2.18 has the same code): it takes turns
// per wire message, not per exchange, so outside a transaction block one connection's Sync ends
// the implicit transaction of another's half-done Parse/Bind/Execute and its Execute fails with
// `portal "" does not exist` (the `postgres` driver's type query on every new connection runs
// outside any transaction, and its failure is an unhandled rejection that ends the process). And
// when a connection dies it can roll back somebody else's transaction (a reset socket detaches
// twice, and the second ROLLBACK lands in the next connection's transaction), commit the dead
// client's half-sent exchange (the next connection's Sync does), or stop serving everyone for good
// (electric-sql/pglite#985). Real Postgres gives each connection its own session; here the
// session is lent whole instead:
//
// - a connection holds the session from its first message until PGlite answers ReadyForQuery
//   idle ('I'): a whole extended-query exchange up to its Sync, or a whole transaction block;
//   connections waiting for it take turns in arrival order;
// - a connection that closes loses its queued messages and, in its own turn, has what it left
//   undone before anyone else's turn: an open exchange or transaction rolled back (a half-sent
//   exchange is not committed, as on a real server), its prepared statements closed.
//
// It stands in for the library's queue (the handlers call enqueue, clearQueueForHandler and
// clearTransactionIfNeeded; the server getQueueLength). Session state beyond transactions and
// prepared statements (SET, LISTEN, session advisory locks, temporary tables) is still shared by
// every connection: the stores use none of it.

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const TERMINATE = 0x58; // 'X'
const PARSE = 0x50; // 'P'
const CLOSE = 0x43; // 'C'

const message = (type, body) => {
  const m = Buffer.alloc(5 + body.length);
  m.write(type, 0, 'latin1');
  m.writeInt32BE(4 + body.length, 1);
  body.copy(m, 5);
  return new Uint8Array(m);
};
const ROLLBACK = message('Q', Buffer.from('ROLLBACK\0'));
const SYNC = message('S', Buffer.alloc(0));
const closeStatement = (name) => message('C', Buffer.from(`S${name}\0`));
/** The name a Parse or Close (of a statement) message carries; '' for the unnamed one. */
const nameAt = (m, at) => Buffer.from(m.buffer, m.byteOffset + at, m.byteLength - at).toString('utf8').split('\0', 1)[0];

/** Reads PGlite's reply as it streams: `idle` when its last message is ReadyForQuery with status 'I'. */
class ReplyEnd {
  idle = false;
  bytes = 0;
  #head = Buffer.alloc(5);
  #headLength = 0;
  #type = 0;
  #left = 0;

  feed(chunk) {
    this.bytes += chunk.length;
    for (let i = 0; i < chunk.length; ) {
      if (this.#left > 0) {
        if (this.#type === READY_FOR_QUERY) this.idle = chunk[i] === IDLE;
        const n = Math.min(this.#left, chunk.length - i);
        i += n;
        this.#left -= n;
        continue;
      }
      this.#head[this.#headLength++] = chunk[i++];
      if (this.#headLength === 5) {
        this.#type = this.#head[0];
        this.#left = this.#head.readInt32BE(1) - 4;
        this.#headLength = 0;
        this.idle = false;
      }
    }
  }
}

export class ExchangeQueue {
  #db;
  /** handler id → { pending, statements, idle, closed, undone } */
  #connections = new Map();
  /** Connections waiting for the session, in arrival order. */
  #turns = [];
  /** The connection holding the session, or null when it is free. */
  #holder = null;
  #pumping = false;

  constructor(db) {
    this.#db = db;
  }

  enqueue(id, msg, onData) {
    const c = this.#connection(id);
    if (c.closed) return Promise.reject(new Error('Handler disconnected'));
    // The session outlives every client: a Terminate is the close that follows.
    if (msg[0] === TERMINATE) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      c.pending.push({ msg, onData, resolve, reject });
      this.#wantTurn(id);
      void this.#pump();
    });
  }

  getQueueLength() {
    let n = 0;
    for (const c of this.#connections.values()) n += c.pending.length;
    return n;
  }

  clearQueueForHandler(id) {
    void this.#close(id);
  }

  /** Resolves once what the connection left on the session has been undone. */
  clearTransactionIfNeeded(id) {
    return this.#close(id);
  }

  #connection(id) {
    let c = this.#connections.get(id);
    if (!c) {
      c = { pending: [], statements: new Set(), idle: true, closed: false, undone: undefined, finish: undefined };
      this.#connections.set(id, c);
    }
    return c;
  }

  #close(id) {
    const c = this.#connections.get(id);
    if (!c) return Promise.resolve();
    if (!c.closed) {
      c.closed = true;
      c.undone = new Promise((resolve) => (c.finish = resolve));
      for (const m of c.pending.splice(0)) m.reject(new Error('Handler disconnected'));
      this.#wantTurn(id);
      void this.#pump();
    }
    return c.undone;
  }

  #wantTurn(id) {
    if (this.#holder !== id && !this.#turns.includes(id)) this.#turns.push(id);
  }

  async #pump() {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#holder === null) {
          const id = this.#turns.shift();
          if (id === undefined) return;
          this.#holder = id;
        }
        const id = this.#holder;
        const c = this.#connections.get(id);
        const next = c.pending.shift();
        if (next) {
          await this.#run(c, next);
        } else if (c.closed) {
          await this.#undo(c);
          this.#connections.delete(id);
          this.#holder = null;
          c.finish();
          continue;
        } else {
          return; // in the middle of its exchange: the session waits for this connection's next message
        }
        if (c.idle) {
          this.#holder = null;
          if (c.pending.length > 0 || c.closed) this.#turns.push(id);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #run(c, { msg, onData, resolve, reject }) {
    if (msg[0] === PARSE) {
      const name = nameAt(msg, 5);
      if (name) c.statements.add(name);
    } else if (msg[0] === CLOSE && msg[5] === 0x53 /* S */) {
      c.statements.delete(nameAt(msg, 6));
    }
    const reply = new ReplyEnd();
    try {
      await this.#db.runExclusive(() =>
        this.#db.execProtocolRawStream(msg, {
          onRawData: (bytes) => {
            reply.feed(bytes);
            onData(bytes);
          },
        }),
      );
      resolve(reply.bytes);
    } catch (err) {
      reject(err);
    }
    c.idle = reply.idle;
  }

  /** What a closed connection left: its open exchange or transaction, its prepared statements. */
  async #undo(c) {
    if (this.#db.closed || (c.idle && c.statements.size === 0)) return;
    const raw = (m) => this.#db.execProtocolRawStream(m, { onRawData: () => {} });
    try {
      await this.#db.runExclusive(async () => {
        if (!c.idle) {
          // ROLLBACK ends an open transaction block, or the implicit one of a half-sent exchange; after
          // an error the backend skips everything up to a Sync, so the ROLLBACK is sent again after it.
          await raw(ROLLBACK);
          await raw(SYNC);
          if (this.#db.isInTransaction()) await raw(ROLLBACK);
        }
        for (const name of c.statements) await raw(closeStatement(name));
        if (c.statements.size > 0) await raw(SYNC);
      });
    } catch {
      // The database is closing: nothing left to undo on it.
    }
  }
}
