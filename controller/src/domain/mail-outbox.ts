/**
 * The mail outbox: e-mails `notify()` queued in the same transaction as what
 * they tell about, sent through the school's SMTP relay after the commit.
 * One delivery at a time (a message is marked sent as soon as the relay has
 * taken it, so it goes once); one that cannot be sent is tried again later
 * (`mail-retry.ts`), the row surviving a restart. `deliverDue()` sends what
 * is due by the controller's clock, so tests drive retries through the clock.
 *
 * A message is the notification's one-line subject and a link into the
 * dashboard: never footage, a pupil's name or a comment's content.
 */
import type { Database } from "../db/database.js";
import type { Clock } from "./clock.js";
import { mailRetryDelayMs } from "./mail-retry.js";

/** One message as the relay is handed it. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Stable per outbox row, so a message handed over twice (a crash in between) is one message. */
  messageId: string;
}

/** Hands a message to the relay; rejects with the relay's reason when it cannot. */
export type SendMail = (mail: OutgoingMail) => Promise<void>;

export interface OutboxLogger {
  info: (details: object, message: string) => void;
  warn: (details: object, message: string) => void;
  error: (details: object, message: string) => void;
}

/** What IT sees: how many messages wait, and the relay's last refusal. */
export interface OutboxStatus {
  /** E-mail is set up (the `mail` setting). */
  configured: boolean;
  waiting: number;
  /** Of those, how many have failed at least once. */
  failing: number;
  oldestWaitingAt: string | null;
  /** The relay's reason the newest waiting message could not be sent. */
  lastError: string | null;
  nextAttemptAt: string | null;
  sentLastDay: number;
}

interface OutboxRow {
  id: number;
  to_address: string;
  subject: string;
  link: string;
  attempts: number;
}

const BATCH = 50;

export class MailOutbox {
  private running: Promise<number> = Promise.resolve(0);
  /** A poke's round is queued and has not begun: further pokes join it. */
  private pokeWaiting = false;
  /** Delivery rounds begun (each reads the outbox once or more): for the tests. */
  rounds = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly host: string;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    /** null: e-mail is not set up; messages wait in the outbox. */
    private readonly send: SendMail | null,
    private readonly publicUrl: string,
    private readonly logger: OutboxLogger,
  ) {
    this.host = new URL(publicUrl).hostname;
  }

  /** The text of a message (exported for the tests of what a message may say). */
  text(subject: string, link: string): string {
    const open = new URL(`/#/${link}`, this.publicUrl).toString();
    const settings = new URL("/#/notifications/settings", this.publicUrl).toString();
    return [
      subject,
      "",
      `Open it in classcam: ${open}`,
      "",
      "You receive this because you chose to be told of this by e-mail.",
      `Choose what reaches you by e-mail: ${settings}`,
      "",
    ].join("\n");
  }

  /**
   * Sends every message due by the clock, one at a time, after any delivery
   * already under way. Resolves with how many were sent.
   */
  deliverDue(): Promise<number> {
    return this.enqueue(() => this.deliver());
  }

  private enqueue(round: () => Promise<number>): Promise<number> {
    const next = this.running.then(round, round);
    this.running = next.catch(() => 0);
    return next;
  }

  /**
   * Delivers soon, logging a failure (after a change that may have queued
   * mail). Pokes that come while one waits its turn join it: a burst of
   * requests (a box uploading segments) reads the outbox once, not once each.
   * A poke after that round has begun queues the next, so mail queued by a
   * change that committed meanwhile is not left for the timer.
   */
  poke(): void {
    if (this.send === null || this.pokeWaiting) return;
    this.pokeWaiting = true;
    this.enqueue(() => {
      this.pokeWaiting = false;
      return this.deliver();
    }).catch((error: unknown) => {
      this.logger.error({ err: error }, "delivering e-mail failed");
    });
  }

  start(intervalMs: number): void {
    if (this.timer || this.send === null) return;
    this.timer = setInterval(() => this.poke(), intervalMs);
    this.timer.unref();
    this.poke();
  }

  /** Stops the timer and waits for a delivery under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async status(): Promise<OutboxStatus> {
    const now = this.clock();
    const waiting = await this.db.get<{
      waiting: number;
      failing: number;
      oldest: string | null;
      next: string | null;
    }>(
      "SELECT count(*) AS waiting, count(last_error) AS failing, min(created_at) AS oldest, " +
        "min(next_attempt_at) AS next FROM mail_outbox WHERE sent_at IS NULL",
    );
    const failed = await this.db.get<{ last_error: string; at: string }>(
      "SELECT last_error, next_attempt_at AS at FROM mail_outbox " +
        "WHERE sent_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1",
    );
    const sent = await this.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM mail_outbox WHERE sent_at > ?",
      [new Date(now.getTime() - 86_400_000).toISOString()],
    );
    return {
      configured: this.send !== null,
      waiting: waiting?.waiting ?? 0,
      failing: waiting?.failing ?? 0,
      oldestWaitingAt: waiting?.oldest ?? null,
      lastError: failed?.last_error ?? null,
      nextAttemptAt: waiting?.next ?? null,
      sentLastDay: sent?.n ?? 0,
    };
  }

  private async deliver(): Promise<number> {
    const send = this.send;
    if (send === null) return 0;
    this.rounds += 1;
    let sent = 0;
    for (;;) {
      const now = this.clock().toISOString();
      const due = await this.db.all<OutboxRow>(
        "SELECT id, to_address, subject, link, attempts FROM mail_outbox " +
          "WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        [now, BATCH],
      );
      for (const row of due) {
        try {
          await send({
            to: row.to_address,
            subject: `classcam: ${row.subject}`,
            text: this.text(row.subject, row.link),
            messageId: `<outbox-${row.id}@${this.host}>`,
          });
        } catch (error) {
          const failures = row.attempts + 1;
          const at = this.clock();
          const retryAt = new Date(at.getTime() + mailRetryDelayMs(failures)).toISOString();
          const reason = (error as Error).message.slice(0, 500);
          await this.db.transaction((tx) =>
            tx.run(
              "UPDATE mail_outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
              [failures, reason, retryAt, row.id],
            ),
          );
          this.logger.warn(
            { outboxId: row.id, failures, retryAt, reason },
            "the mail relay did not take a message; it will be tried again",
          );
          // the relay is down: the rest waits for the next round, not one timeout each
          return sent;
        }
        await this.db.transaction((tx) =>
          tx.run("UPDATE mail_outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?", [
            this.clock().toISOString(),
            row.id,
          ]),
        );
        sent += 1;
      }
      if (due.length < BATCH) return sent;
    }
  }
}
