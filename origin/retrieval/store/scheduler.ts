/**
 * Which work a statement belongs to. `interactive`: a chat's search and the API's reads and
 * deletes, someone is waiting on it. `ingest`: the statements of a document being stored.
 */
export type Lane = 'interactive' | 'ingest';

interface Waiting {
  start: () => void;
}

/**
 * The store's connections, handed out one statement (or one short transaction) at a time with
 * interactive work first. The embedded store has a single connection: without this, a chat's
 * search would queue in the driver behind every statement an upload had already issued; with it,
 * a search waits for at most the one ingest statement already running. With a pool (a real
 * Postgres), ingestion never holds the last connection, so a search never waits at all.
 */
export class StatementScheduler {
  private running = 0;
  private runningIngest = 0;
  private readonly queues: Record<Lane, Waiting[]> = { interactive: [], ingest: [] };
  private readonly finished: Record<Lane, number> = { interactive: 0, ingest: 0 };
  /** The most ingest statements in flight at once: all connections but one, or the only one. */
  private readonly ingestCap: number;

  constructor(private readonly connections: number) {
    if (!Number.isInteger(connections) || connections < 1) throw new Error(`a statement scheduler needs at least one connection, got ${connections}`);
    this.ingestCap = Math.max(1, connections - 1);
  }

  /** Statements waiting for a connection, by lane (for tests and metrics). */
  queued(lane: Lane): number {
    return this.queues[lane].length;
  }

  /** Statements finished so far, by lane. */
  completed(lane: Lane): number {
    return this.finished[lane];
  }

  /** Runs `fn` (one statement or one short transaction) when its lane's turn comes. */
  run<T>(lane: Lane, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        if (lane === 'ingest') this.runningIngest++;
        fn().then(resolve, reject).finally(() => {
          this.running--;
          this.finished[lane]++;
          if (lane === 'ingest') this.runningIngest--;
          this.next();
        });
      };
      this.queues[lane].push({ start });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.connections) {
      const i = this.queues.interactive.shift();
      if (i) {
        i.start();
        continue;
      }
      if (this.runningIngest >= this.ingestCap) return;
      const g = this.queues.ingest.shift();
      if (!g) return;
      g.start();
    }
  }
}
