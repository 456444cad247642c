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
import { TableTail } from "./table-tail.js";

export class NotificationTail extends TableTail<{ user_id: string }> {
  constructor(
    db: Database,
    private readonly notices: Notices,
    logger: NoticeLogger,
  ) {
    super(db, logger, {
      table: "notifications",
      key: "id",
      columns: "user_id",
      what: "new notifications",
    });
  }

  protected tell(rows: readonly { user_id: string }[]): void {
    for (const userId of new Set(rows.map((row) => row.user_id)))
      this.notices.publish({ topic: "notifications", userId });
  }
}
