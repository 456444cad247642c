/**
 * Notifications, e-mail choices, the mail outbox and concerns as the
 * dashboard reads them: the `Static` types of the server's schemas
 * (`controller/src/routes/notification-schemas.ts`), imported with
 * `import type` so no server code reaches the browser.
 */
import type { Static } from "@sinclair/typebox";
import type {
  ConcernLeadsSchema,
  ConcernSchema,
  EmailSettingsSchema,
  NotificationPageSchema,
  NotificationSchema,
  OutboxStatusSchema,
} from "../../src/routes/notification-schemas.js";

export type Notification = Static<typeof NotificationSchema>;
export type NotificationPage = Static<typeof NotificationPageSchema>;
export type NotificationKind = Notification["kind"];
export type EmailSettings = Static<typeof EmailSettingsSchema>;
export type OutboxStatus = Static<typeof OutboxStatusSchema>;
export type Concern = Static<typeof ConcernSchema>;
export type ConcernLeads = Static<typeof ConcernLeadsSchema>;

/** Each kind in the school's words, in the order the settings list them. */
export const KIND_WORDS: Record<NotificationKind, string> = {
  share: "A recording shared with me",
  "assignment-set": "An assignment set for me",
  "assignment-answered": "An assignment I set answered",
  feedback: "Feedback on my recording",
  "consent-asked": "Asked whether I agree to keep a recording",
  "investigation-opened": "An investigation opened on my footage",
  "clip-bank-entered": "A clip of mine entered the exemplar bank",
  "clip-bank-left": "A clip of mine left the exemplar bank",
  "upload-ready": "Footage I asked to watch is on the school's server",
  "concern-flagged": "A concern flagged (for the school's concern leads)",
  "concern-answered": "An answer to a concern I flagged",
};
