/**
 * Every action the audit log is written with, and no other: `AuditLog`
 * accepts only these, and the dashboard's words for them are typed by this
 * list, so an action added here without words (or written without being
 * listed) fails the type-check. No imports: the dashboard shares it by
 * `import type`.
 */
export const AUDIT_ACTIONS = [
  // people and their sessions
  "sign-in",
  "sign-in.refused",
  "sign-out",
  "user.add",
  "user.setup",
  "user.update",
  "user.grant-role",
  "user.reset-password",
  "user.change-password",
  "user.import",
  "user.link",
  "oidc.role-map",
  "user.reconcile",
  // bookings
  "booking.create",
  "booking.amend",
  "booking.cancel",
  // the school's timetable of lessons
  "timetable.import",
  "timetable.rooms",
  // recordings and their footage
  "recording.view",
  "recording.flag",
  "recording.delete",
  "footage.play",
  "footage.key",
  "footage.upload-request",
  "footage.upload-complete",
  "footage.delete",
  "footage.delete-disputed",
  "comment.add",
  "share.create",
  "share.unblurred",
  "share.revoke",
  // coaching: the school's framework, assignments, next steps
  "strand.add",
  "strand.rename",
  "strand.retire",
  "assignment.set",
  "assignment.submit",
  "next-step.done",
  "next-step.reopen",
  "coaching.export",
  // keeping by consent
  "archive.request",
  "archive.consented",
  "archive.complete",
  "archive.cancel",
  "consent.give",
  "consent.withdraw",
  "exemplar.release",
  // clips and the exemplar bank
  "clip.cut",
  "clip.play",
  "clip.key",
  "clip.offer",
  "clip.consent",
  "clip.bank-enter",
  "clip.bank-decline",
  "clip.withdraw",
  "clip.delete",
  // notifications and concerns
  "notification.settings",
  "concern.flag",
  "concern.answer",
  "concern.leads",
  // holds and investigations
  "hold.place",
  "hold.release",
  "investigation.open",
  "investigation.close",
  // the school's settings and its boxes
  "policy.change",
  "device.enrol",
  "device.disable",
  "device.enable",
  "device.retire",
  "device.rotate-secret",
  "device.masks",
  "device.zones",
  "device.self-test",
  "device.picture",
  "device.wiped",
  "alert.clear",
  "retention.sweep",
  // the DPO's requests: subject access and erasure
  "dpo.export",
  "dpo.export-download",
  "dpo.export-expire",
  "sealing-key.rotate",
  "footage.export",
  "dpo.erasure",
  "recording.erase",
  // the log itself
  "audit.verify",
  "audit.export",
] as const;

export type KnownAuditAction = (typeof AUDIT_ACTIONS)[number];
