/**
 * Most members of one group: a group this full is sent at once and the next one begun, so a
 * command's arguments stay far below what a call may spread and no one script holds Redis long.
 */
export const TURN_GROUP_MAX = 256;

/**
 * Requests for Redis collected over one turn of the event loop, by key, and sent as one command
 * per key at its end: streams that start or end together (a burst, or one engine's batch
 * finishing) cost one script each group, not one each. A command waits at most the rest of the
 * turn it was asked in.
 */
export class TurnBatches<C> {
  private readonly pending = new Map<string, TurnGroup<C>>();

  /** `send` sends one group's command; every member of the group waits on its answer. */
  constructor(private readonly send: (group: TurnGroup<C>) => Promise<unknown>) {}

  /**
   * The group `key` of this turn, made with `ctx` (what its command is about) and its first
   * arguments `head`. A member whose head differs from its group's (what the whole command shares:
   * a tenant's limits) closes that group, which goes at once, and begins the next: the members'
   * order is kept, and each is sent with its own head.
   */
  group(key: string, ctx: C, head: readonly string[]): TurnGroup<C> {
    let g = this.pending.get(key);
    if (g && (g.size >= TURN_GROUP_MAX || !sameHead(g.head, head))) {
      this.pending.delete(key);
      this.sendGroup(g);
      g = undefined;
    }
    if (!g) {
      if (this.pending.size === 0) setImmediate(() => this.flush());
      g = new TurnGroup(ctx, head);
      this.pending.set(key, g);
    }
    return g;
  }

  private flush(): void {
    const groups = [...this.pending.values()];
    this.pending.clear();
    for (const g of groups) this.sendGroup(g);
  }

  private sendGroup(g: TurnGroup<C>): void {
    this.send(g).then(g.resolve, g.reject);
  }
}

/** One group's command on its way: its arguments, how many members it has, and its answer. */
export class TurnGroup<C> {
  readonly args: string[];
  /** Members so far; a member's index in the answer is the count when it joined. */
  size = 0;
  readonly sent: Promise<unknown>;
  resolve!: (answer: unknown) => void;
  reject!: (err: unknown) => void;

  constructor(
    readonly ctx: C,
    /** The arguments every member shares, sent first. */
    readonly head: readonly string[],
  ) {
    this.args = [...head];
    this.sent = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** A member joins with its arguments; its index in the group's answer. */
  join(...args: string[]): number {
    this.args.push(...args);
    return this.size++;
  }

  /**
   * The answer of member `at`, where the script answers with one entry per member; any other
   * reply (`what`: what the members asked, for the error) fails every member alike.
   */
  async answerOf(at: number, what: string): Promise<unknown> {
    return this.entry(await this.sent, at, what);
  }

  /** answerOf's reading of `answers` (what `sent` resolved to), for a member that waits on `sent` itself. */
  entry(answers: unknown, at: number, what: string): unknown {
    if (!Array.isArray(answers) || answers.length !== this.size) throw new Error(`redis answered ${this.size} ${what} with something else`);
    return answers[at];
  }
}

function sameHead(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Items of one turn of the event loop (one queue, no keys), handed to `send` together at its end,
 * or at once when TURN_GROUP_MAX are waiting or the owner flushes them early to keep an order
 * with another buffer's items.
 */
export class TurnBuffer<T> {
  private items: T[] = [];

  constructor(private readonly send: (items: T[]) => void) {}

  push(item: T): void {
    if (this.items.length === 0) setImmediate(() => this.flush());
    else if (this.items.length >= TURN_GROUP_MAX) this.flush();
    this.items.push(item);
  }

  /** Sends what is waiting now (most of the time nothing). */
  flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.send(items);
  }
}
