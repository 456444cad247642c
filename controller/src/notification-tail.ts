/**
 * Live news of new notifications (issue 17): `notify()` writes inside other
 * transactions, so nobody can announce a notification before it commits.
 * Like `AuditTail` for the audit log, this reads the notifications past the
 * last one read — when poked after a change and on a slow timer while anyone
 * listens — and tells each person whose list grew (`notifications` notice,
 * sent by routes/live.ts to that person's own streams only).
 */
import type { Database } from "./db/database.js";
import type { NoticeLogger, Notices } from "./notices.js";

export class NotificationTail {
  private lastId: number | null = null;
  private reading: Promise<void> | null = null;
  private wanted = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly notices: Notices,
    private readonly logger: NoticeLogger,
  ) {}

  /** Starts from the newest notification as it is now; reads on a timer and when poked. */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.lastId = null;
    this.timer = setInterval(() => void this.poke(), intervalMs);
    this.timer.unref();
    void this.poke();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  poke(): Promise<void> {
    if (this.timer === null) return Promise.resolve();
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
        this.logger.error({ err: error }, "reading new notifications for live notices failed");
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  async idle(): Promise<void> {
    await this.reading;
  }

  private async read(): Promise<void> {
    if (this.lastId === null) {
      const head = await this.db.get<{ id: number | null }>(
        "SELECT max(id) AS id FROM notifications",
      );
      this.lastId = head?.id ?? 0;
      return;
    }
    const rows = await this.db.all<{ id: number; user_id: string }>(
      "SELECT id, user_id FROM notifications WHERE id > ? ORDER BY id LIMIT 1000",
      [this.lastId],
    );
    const last = rows.at(-1);
    if (!last) return;
    this.lastId = last.id;
    if (rows.length === 1000) this.wanted += 1;
    for (const userId of new Set(rows.map((row) => row.user_id)))
      this.notices.publish({ topic: "notifications", userId });
  }
}
