/**
 * Reads a table's rows past the last one read, after they commit, and tells
 * its subclass's listeners about them: the shared reader of `AuditTail` (the
 * audit log → recordings that changed) and `NotificationTail` (new
 * notifications → whose list grew). Changes are written inside other
 * transactions, so nobody can announce one before it commits; reading the
 * table afterwards can. `poke()` reads soon (coalesced); `start()` also reads
 * on a timer, for changes made by background work nobody pokes for.
 */
import type { Database } from "./db/database.js";

/** How many rows one read takes; a full page asks for another read. */
const PAGE = 1000;

export interface TailSource {
  /** The table, and its increasing integer key. */
  table: string;
  key: string;
  /** The columns `tell()` needs, as SQL. */
  columns: string;
  /** For the log line when a read fails: "the audit log". */
  what: string;
}

/** Where a failed read is logged (pino's shape). */
export interface TailLogger {
  error(object: unknown, message: string): void;
}

export abstract class TableTail<Row> {
  private last: number | null = null;
  private reading: Promise<void> | null = null;
  /** Bumped when a read is wanted; the reader goes on until it has seen the latest. */
  private wanted = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    protected readonly db: Database,
    private readonly logger: TailLogger,
    private readonly source: TailSource,
  ) {}

  /** Tells the notices about rows read, in the table's order. */
  protected abstract tell(rows: readonly Row[]): void;

  /** Reads from the table's end as it is now, then on a timer and when poked. */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.last = null;
    this.timer = setInterval(() => void this.poke(), intervalMs);
    this.timer.unref();
    void this.poke();
  }

  /** Stops reading: pokes are ignored until the next `start()`. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get started(): boolean {
    return this.timer !== null;
  }

  /** Reads new rows now, or once more after the read in progress (when started). */
  poke(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.wanted += 1;
    if (this.reading) return this.reading;
    this.reading = (async () => {
      let seen = -1;
      while (seen !== this.wanted) {
        seen = this.wanted;
        await this.read();
      }
    })()
      .catch((error: unknown) => {
        this.logger.error({ err: error }, `reading ${this.source.what} for live notices failed`);
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  /** Waits for a read in progress (closing). */
  async idle(): Promise<void> {
    await this.reading;
  }

  private async read(): Promise<void> {
    const { table, key, columns } = this.source;
    if (this.last === null) {
      // start from now: what happened before anyone listened is in what they load
      const head = await this.db.get<{ key: number | null }>(
        `SELECT max(${key}) AS key FROM ${table}`,
      );
      this.last = head?.key ?? 0;
      return;
    }
    const rows = await this.db.all<Row & { tail_key: number }>(
      `SELECT ${key} AS tail_key, ${columns} FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ${PAGE}`,
      [this.last],
    );
    const last = rows.at(-1);
    if (!last) return;
    this.last = last.tail_key;
    if (rows.length === PAGE) this.wanted += 1; // more to read
    this.tell(rows);
  }
}
