/**
 * SQLite through `sqlite3`, in WAL mode. All writes go through `transaction()`,
 * one at a time on the writer connection; reads use a second connection, so
 * they never see a half-done transaction and never wait for one.
 */
import sqlite3 from "sqlite3";

export type Params = readonly unknown[] | Record<string, unknown>;

/** Most prepared statements a connection keeps; the least recently used goes first. */
const KEPT_STATEMENTS = 100;

/**
 * A write statement that returns no rows: run() steps it once to the end, so
 * it can be kept. Anything else run() is given (RETURNING, a PRAGMA, a
 * SELECT) may stop on a row and would stay running, holding its locks into the
 * COMMIT, so it is prepared and finalised each time.
 */
const RUNS_TO_THE_END = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b(?![\s\S]*\bRETURNING\b)/i;

/**
 * A query: get() steps it to its first row and resets it straight after, so
 * it is kept too. The reset is queued behind the step, and a later COMMIT
 * waits for both (node-sqlite3 runs an exec only when no statement is busy).
 */
const QUERY = /^\s*SELECT\b/i;

interface Kept {
  statement: sqlite3.Statement;
  /** Why it could not be prepared. */
  failed: Error | null;
  /** Calls made before it was prepared: node-sqlite3 drops them, unanswered, if preparing fails. */
  waiting: ((error: Error) => void)[] | null;
}

/**
 * One promise-returning connection.
 *
 * Statements are prepared once and kept by their SQL (issue 21: a statement
 * prepared and finalised per call, through SQLite's threads, was about 15 % of
 * the controller's main thread with 1,000 boxes reporting). A kept statement
 * is never left part-way: all() steps through every row, get() keeps only
 * queries and resets each one after its first row, and run() keeps only
 * writes that return none. A statement that is done or reset holds no
 * snapshot of the database, so a kept read never hides a later commit.
 * (A get() kept this way costs two trips through SQLite's threads where
 * preparing, stepping and finalising cost three, and parses no SQL.)
 */
export class Connection {
  private readonly kept = new Map<string, Kept>();
  /** Every statement prepared here and not yet finalised (kept, or let go and finalising). */
  private readonly unfinalised = new Map<
    sqlite3.Statement,
    { done: Promise<void>; resolve: () => void } | null
  >();
  private closing = false;
  private prepared = 0;

  private constructor(private readonly raw: sqlite3.Database) {}

  /** How many statements this connection has prepared to keep. */
  get statementsPrepared(): number {
    return this.prepared;
  }

  private keep(sql: string): Kept {
    const found = this.kept.get(sql);
    if (found !== undefined) {
      // the most recently used is the last to go
      this.kept.delete(sql);
      this.kept.set(sql, found);
      return found;
    }
    const entry: Kept = {
      statement: undefined as unknown as sqlite3.Statement,
      failed: null,
      waiting: [],
    };
    entry.statement = this.raw.prepare(sql, (error: Error | null) => {
      const waiting = entry.waiting ?? [];
      entry.waiting = null;
      if (error === null) return;
      entry.failed = error;
      // node-sqlite3 finalises a statement that failed to prepare itself, and never answers
      // a finalize() asked of it: it is done with here
      this.finalised(entry.statement);
      this.forget(sql, entry);
      for (const reject of waiting) reject(error);
    });
    this.prepared += 1;
    this.unfinalised.set(entry.statement, null);
    this.kept.set(sql, entry);
    if (this.kept.size > KEPT_STATEMENTS) {
      const [oldest] = this.kept;
      if (oldest !== undefined) this.forget(oldest[0], oldest[1]);
    }
    return entry;
  }

  /** Drops a kept statement (after its last queued use, which node-sqlite3 lets finish). */
  private forget(sql: string, entry: Kept): void {
    if (this.kept.get(sql) === entry) this.kept.delete(sql);
    void this.finalise(entry.statement); // close() waits for it
  }

  /** Finalises `statement` once (after its queued uses); close() waits for it. */
  private finalise(statement: sqlite3.Statement): Promise<void> {
    const pending = this.unfinalised.get(statement);
    if (pending === undefined) return Promise.resolve(); // finalised already
    if (pending !== null) return pending.done; // finalising
    let resolve = () => {};
    const done = new Promise<void>((settle) => (resolve = settle));
    this.unfinalised.set(statement, { done, resolve });
    statement.finalize(() => this.finalised(statement));
    return done;
  }

  private finalised(statement: sqlite3.Statement): void {
    this.unfinalised.get(statement)?.resolve();
    this.unfinalised.delete(statement);
  }

  /** A statement that failed is prepared afresh next time: its state is not worth reasoning about. */
  private failure(sql: string, entry: Kept, error: Error): Error {
    this.forget(sql, entry);
    return error;
  }

  /** Runs `use` on the kept statement for `sql`; `reject` hears if it cannot be prepared. */
  private withKept(sql: string, reject: (error: Error) => void, use: (entry: Kept) => void): void {
    if (this.closing) {
      // a statement prepared now could outlive the close, which SQLite refuses (SQLITE_BUSY)
      reject(new Error("SQLITE_MISUSE: Database is closed"));
      return;
    }
    const entry = this.keep(sql);
    if (entry.failed !== null) {
      reject(entry.failed);
      return;
    }
    entry.waiting?.push(reject);
    use(entry);
  }

  static open(file: string, mode: "read" | "write"): Promise<Connection> {
    const flags =
      mode === "write" ? sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE : sqlite3.OPEN_READONLY;
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(file, flags, (error) => {
        if (error) reject(new Error(`cannot open database ${file}: ${error.message}`));
        else resolve(new Connection(raw));
      });
    });
  }

  run(sql: string, params: Params = []): Promise<{ changes: number; lastID: number }> {
    if (RUNS_TO_THE_END.test(sql)) {
      return new Promise((resolve, reject) => {
        this.withKept(sql, reject, (entry) => {
          const failure = (error: Error) => this.failure(sql, entry, error);
          entry.statement.run(params, function (this: sqlite3.RunResult, error: Error | null) {
            if (error) reject(failure(error));
            else resolve({ changes: this.changes, lastID: this.lastID });
          });
        });
      });
    }
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    if (QUERY.test(sql)) {
      return new Promise((resolve, reject) => {
        this.withKept(sql, reject, (entry) => {
          entry.statement.get(params, (error: Error | null, row: T | undefined) => {
            if (error) reject(this.failure(sql, entry, error));
            else resolve(row);
          });
          // a statement left on a row would hold its snapshot of the database
          entry.statement.reset(() => undefined);
        });
      });
    }
    return new Promise((resolve, reject) => {
      this.raw.get(sql, params, (error: Error | null, row: T | undefined) => {
        if (error) reject(error);
        else resolve(row);
      });
    });
  }

  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.withKept(sql, reject, (entry) => {
        entry.statement.all(params, (error: Error | null, rows: T[]) => {
          if (error) reject(this.failure(sql, entry, error));
          else resolve(rows);
        });
      });
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (error: Error | null) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.kept.clear();
    // SQLite will not close a connection with statements still prepared: every one
    // kept, and every one let go whose finalising is still queued
    await Promise.all([...this.unfinalised.keys()].map((statement) => this.finalise(statement)));
    return new Promise((resolve, reject) => {
      this.raw.close((error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }
}

/** What a transaction body may do: the writer's statements, nothing else. */
export type Transaction = Pick<Connection, "run" | "get" | "all" | "exec">;

/**
 * SQLite gave up the whole transaction while a savepoint was open (e.g. disk
 * full, an I/O error): nothing of it will commit, so the caller must not carry on.
 */
export class TransactionLost extends Error {
  override readonly name = "TransactionLost";
}

let savepoints = 0;

/**
 * Runs `body` inside a SAVEPOINT of the caller's transaction: when it resolves,
 * its writes stay part of the transaction; when it rejects, exactly its writes
 * are undone and its error rethrown, and the transaction goes on without them.
 * If SQLite has already rolled back the whole transaction, `TransactionLost` is
 * thrown instead (with the body's error as its cause).
 */
export async function savepoint<T>(tx: Transaction, body: () => Promise<T>): Promise<T> {
  savepoints += 1;
  const name = `sp_${savepoints}`;
  await tx.exec(`SAVEPOINT ${name}`);
  let result: T;
  try {
    result = await body();
  } catch (error) {
    try {
      await tx.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
    } catch (rollback) {
      throw new TransactionLost(
        `the transaction was lost while undoing a failed step (${(rollback as Error).message})`,
        { cause: error },
      );
    }
    throw error;
  }
  await tx.exec(`RELEASE ${name}`);
  return result;
}

export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly writer: Connection,
    private readonly reader: Connection,
  ) {}

  /**
   * Opens (creating if needed) the database file. `synchronous=FULL`: a
   * committed transaction survives a power cut, which is what an
   * acknowledgement to a device promises.
   */
  static async open(file: string, options: { pageSize?: number } = {}): Promise<Database> {
    const writer = await Connection.open(file, "write");
    try {
      // takes effect only while the file is new (before WAL mode and the first table)
      if (options.pageSize !== undefined) {
        if (![512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].includes(options.pageSize)) {
          throw new Error(`page size ${options.pageSize} is not a power of two from 512 to 65536`);
        }
        await writer.exec(`PRAGMA page_size = ${options.pageSize}`);
      }
      await writer.exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; " +
          "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
      );
      const mode = await writer.get<{ journal_mode: string }>("PRAGMA journal_mode");
      if (mode?.journal_mode !== "wal") {
        throw new Error(`cannot put ${file} in WAL mode (got ${String(mode?.journal_mode)})`);
      }
      const reader = await Connection.open(file, "read");
      await reader.exec("PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;");
      return new Database(file, writer, reader);
    } catch (error) {
      await writer.close();
      throw error;
    }
  }

  /**
   * Runs `body` in one IMMEDIATE transaction; commits if it resolves, rolls
   * back and rethrows if it rejects. Transactions run strictly one after another.
   */
  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("database is closed"));
    const run = async (): Promise<T> => {
      await this.writer.exec("BEGIN IMMEDIATE");
      try {
        const result = await body(this.writer);
        await this.writer.exec("COMMIT");
        return result;
      } catch (error) {
        await this.writer.exec("ROLLBACK").catch(() => undefined);
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Reads committed data on the reader connection. */
  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.reader.get<T>(sql, params);
  }

  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return this.reader.all<T>(sql, params);
  }

  /** How many statements both connections have prepared to keep (they are reused after). */
  statementsPrepared(): number {
    return this.writer.statementsPrepared + this.reader.statementsPrepared;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.reader.close();
    await this.writer.close();
  }
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

/**
 * Versioned schema migrations: the database's `user_version` says which have
 * run. All pending migrations run in one transaction: if any fails, the
 * database is left exactly as it was. A database newer than `list` is refused.
 */
export async function migrate(
  db: Database,
  list: readonly Migration[],
  program = "this program",
): Promise<MigrationResult> {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration '${migration.name}' has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
  return db.transaction(async (tx) => {
    const row = await tx.get<{ user_version: number }>("PRAGMA user_version");
    const from = row?.user_version ?? 0;
    if (from > list.length) {
      throw new Error(
        `database ${db.file} is at schema version ${from}, newer than ${program} knows ` +
          `(${list.length}); refusing to touch it — run the newer version`,
      );
    }
    const pending = list.slice(from);
    for (const migration of pending) {
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new Error(
          `migration ${migration.version} ('${migration.name}') failed: ${(error as Error).message}; ` +
            `the database is unchanged at version ${from}`,
        );
      }
    }
    if (pending.length > 0) await tx.exec(`PRAGMA user_version = ${list.length}`);
    return { from, to: list.length, applied: pending.map((m) => m.name) };
  });
}
