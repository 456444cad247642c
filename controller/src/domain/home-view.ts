/**
 * The home each person starts from (a read model: it changes nothing): one
 * section for each of their roles, each with what needs them now, every item
 * something they may already see elsewhere (`decide()` says so for each
 * recording; the other sections are for roles the matching pages serve).
 *
 * - teacher: their next bookings; their recordings from the last seven days
 *   that they have not watched, with the days left before the box overwrites
 *   them (`bufferExpiresAt`, through the recording's summary); consents asked
 *   of them and not answered; shares made to them and comments by others on
 *   what they may watch, new since they last looked at that recording
 *   (`recording_seen`, written by `markSeen()` in seen.ts);
 * - coach: recordings shared with them on which they have not commented yet,
 *   and answers to the assignments they set (a recording or a clip of one)
 *   on which they have given no feedback since the answer came;
 * - SLT and the headteacher: the holds and investigations in force
 *   (governance-view.ts);
 * - the Bursar and IT: the fleet's problems (fleet-view.ts: offline, worn
 *   cards, alerts such as a buffer full of protected footage);
 * - the DPO: recent investigations, audit exports and deletions.
 *
 * The school's sections (leadership, fleet, DPO) are in school-home.ts.
 */
import { bufferExpired } from "@classcam/protocol";
import type { Database } from "../db/database.js";
import { decide, LEADERSHIP, type Person, type RecordingAction, type Role } from "./access.js";
import type { DeviceRegistry } from "./devices.js";
import type { PolicyStore } from "./policy.js";
import type { Recordings } from "./recordings.js";
import { SELECT, summary, type RecordingRow } from "./recordings/model.js";
import { ABOUT, FROM, about, type AboutRow } from "./home-items.js";
import { dpoSection, fleetSection, leadershipSection } from "./school-home.js";
import type { Timetable } from "./timetable.js";

/** The home's sections, each for the roles named. */
export const HOME_SECTION_ROLES = {
  teacher: ["teacher"],
  coach: ["coach"],
  leadership: LEADERSHIP,
  fleet: ["bursar", "it"],
  dpo: ["dpo"],
} as const satisfies Record<string, readonly Role[]>;
export type HomeSection = keyof typeof HOME_SECTION_ROLES;

/** The most items a list on the home shows; its page has the rest. */
export const HOME_LIST = 20;
/** "This week": recordings that started within these last days. */
export const WEEK_DAYS = 7;
/** How far ahead the teacher's next bookings are looked for. */
const BOOKINGS_AHEAD_DAYS = 14;
/** A comment's first characters, as the home shows it. */
const EXCERPT = 200;
const DAY_MS = 86_400_000;

export interface HomeSources {
  db: Database;
  recordings: Recordings;
  timetable: Timetable;
  policy: PolicyStore;
  devices: DeviceRegistry;
  now: Date;
}

const holds = (person: Person, section: HomeSection) =>
  person.roles.some((role) => (HOME_SECTION_ROLES[section] as readonly Role[]).includes(role));

/** The home of `person`: only the sections of their roles. */
export async function homeFor(sources: HomeSources, person: Person) {
  const [teacher, coach, leadership, fleet, dpo] = await Promise.all([
    holds(person, "teacher") ? teacherSection(sources, person) : undefined,
    holds(person, "coach") ? coachSection(sources, person) : undefined,
    holds(person, "leadership") ? leadershipSection(sources.db) : undefined,
    holds(person, "fleet") ? fleetSection(sources.db, sources.devices, sources.now) : undefined,
    holds(person, "dpo") ? dpoSection(sources.db, sources.now) : undefined,
  ]);
  return {
    ...(teacher && { teacher }),
    ...(coach && { coach }),
    ...(leadership && { leadership }),
    ...(fleet && { fleet }),
    ...(dpo && { dpo }),
  };
}

/** Rows whose recording `person` may `action` now, by `decide()`. */
async function mayAll<T extends { recording_id: string }>(
  sources: HomeSources,
  person: Person,
  action: RecordingAction,
  rows: readonly T[],
): Promise<T[]> {
  const allowed = new Map<string, boolean>();
  for (const id of new Set(rows.map((row) => row.recording_id))) {
    const access = await sources.recordings.accessOf(null, id);
    allowed.set(id, decide(person, action, access, sources.now).allowed);
  }
  return rows.filter((row) => allowed.get(row.recording_id) === true);
}

/** Shares made to me and in force: `and` narrows them. */
const ACTIVE_SHARES =
  "s.with_id = ? AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)";

interface ShareRow extends AboutRow {
  share_id: number;
  shared_at: string;
  expires_at: string | null;
}
const share = (row: ShareRow) => ({
  shareId: row.share_id,
  ...about(row),
  sharedAt: row.shared_at,
  expiresAt: row.expires_at,
});

/** One item per recording (a recording shared twice shows once, by its newest share). */
const onePerRecording = <T extends { recording_id: string }>(rows: readonly T[]) => {
  const seen = new Set<string>();
  return rows.filter((row) => !seen.has(row.recording_id) && seen.add(row.recording_id));
};

async function teacherSection(sources: HomeSources, person: Person) {
  const { db, now } = sources;
  const at = now.toISOString();
  const { bufferDays } = (await sources.policy.get()).retention;

  const booked = (
    await sources.timetable.list({
      from: at,
      to: new Date(now.getTime() + BOOKINGS_AHEAD_DAYS * DAY_MS).toISOString(),
      teacherId: person.id,
    })
  ).slice(0, HOME_LIST);
  const rooms = new Map(
    (
      await db.all<{ id: string; room: string }>(
        "SELECT id, room FROM devices WHERE id IN (SELECT value FROM json_each(?))",
        [JSON.stringify(booked.map((b) => b.deviceId))],
      )
    ).map((row) => [row.id, row.room]),
  );

  // watched: the audit log's record of opening it to watch (recordings/listing.ts view())
  const recent = await db.all<RecordingRow>(
    `${SELECT} WHERE r.owner_id = ? AND r.deleted_at IS NULL AND r.ended_at IS NOT NULL
       AND r.started_at >= ? AND (r.on_device = 1 OR r.on_controller = 1)
       AND NOT EXISTS (SELECT 1 FROM audit_log a
                       WHERE a.subject = r.id AND a.actor = ? AND a.action = 'recording.view')
     ORDER BY r.started_at DESC LIMIT ${HOME_LIST}`,
    [person.id, new Date(now.getTime() - WEEK_DAYS * DAY_MS).toISOString(), person.id],
  );
  const unwatched = (
    await mayAll(
      sources,
      person,
      "view",
      recent.map((row) => ({ ...row, recording_id: row.id })),
    )
  )
    .map((row) => summary(row, bufferDays))
    .filter(
      (recording) =>
        recording.overwriteAt === null ||
        recording.endedAt === null ||
        !bufferExpired(recording.endedAt, bufferDays, now),
    );

  const asked = (await sources.recordings.awaitingMyConsent(person)).slice(0, HOME_LIST);

  const seen = "LEFT JOIN recording_seen v ON v.recording_id = r.id AND v.user_id = ?";
  const newShares = await db.all<ShareRow>(
    `SELECT s.id AS share_id, s.created_at AS shared_at, s.expires_at, ${ABOUT}
     FROM shares s JOIN ${FROM} ${seen}
     WHERE ${ACTIVE_SHARES} AND r.deleted_at IS NULL
       AND (v.seen_at IS NULL OR s.created_at > v.seen_at)
     ORDER BY s.created_at DESC, s.id DESC LIMIT ${HOME_LIST}`,
    [person.id, person.id, at],
  );
  const newComments = await db.all<
    AboutRow & { comment_id: number; body: string; created_at: string; author_name: string }
  >(
    `SELECT c.id AS comment_id, c.body, c.created_at, a.display_name AS author_name, ${ABOUT}
     FROM comments c JOIN users a ON a.id = c.author_id JOIN ${FROM} ${seen}
     WHERE c.author_id != ? AND r.deleted_at IS NULL
       AND (r.owner_id = ? OR r.id IN (SELECT s.recording_id FROM shares s WHERE ${ACTIVE_SHARES}))
       AND (v.seen_at IS NULL OR c.created_at > v.seen_at)
     ORDER BY c.created_at DESC, c.id DESC LIMIT ${HOME_LIST}`,
    [person.id, person.id, person.id, person.id, at],
  );

  const assignments = await db.all<{
    assignment_id: string;
    title: string;
    set_by_name: string;
    due_on: string;
  }>(
    `SELECT a.id AS assignment_id, a.title, u.display_name AS set_by_name, a.due_on
     FROM assignment_teachers t JOIN assignments a ON a.id = t.assignment_id
     JOIN users u ON u.id = a.set_by
     WHERE t.teacher_id = ? AND t.submitted_at IS NULL
     ORDER BY a.due_on, a.created_at LIMIT ${HOME_LIST}`,
    [person.id],
  );

  return {
    assignments: assignments.map((row) => ({
      assignmentId: row.assignment_id,
      title: row.title,
      setByName: row.set_by_name,
      dueOn: row.due_on,
    })),
    bookings: booked.map((booking) => ({
      bookingId: booking.bookingId,
      deviceId: booking.deviceId,
      room: rooms.get(booking.deviceId) ?? booking.deviceId,
      start: booking.start,
      end: booking.end,
      purpose: booking.purpose,
      status: booking.status,
    })),
    unwatched: unwatched.map((recording) => ({
      recordingId: recording.recordingId,
      room: recording.room,
      purpose: recording.purpose,
      startedAt: recording.startedAt,
      ownerName: recording.ownerName,
      overwriteAt: recording.overwriteAt,
      daysLeft:
        recording.overwriteAt === null
          ? null
          : Math.max(0, Math.floor((Date.parse(recording.overwriteAt) - now.getTime()) / DAY_MS)),
    })),
    consents: asked.map((recording) => ({
      recordingId: recording.recordingId,
      room: recording.room,
      purpose: recording.purpose,
      startedAt: recording.startedAt,
      ownerName: recording.ownerName,
    })),
    shares: onePerRecording(await mayAll(sources, person, "view", newShares)).map(share),
    comments: (await mayAll(sources, person, "view", newComments)).map((row) => ({
      commentId: row.comment_id,
      ...about(row),
      authorName: row.author_name,
      excerpt: row.body.length > EXCERPT ? `${row.body.slice(0, EXCERPT - 1)}…` : row.body,
      createdAt: row.created_at,
    })),
  };
}

async function coachSection(sources: HomeSources, person: Person) {
  const rows = await sources.db.all<ShareRow>(
    `SELECT s.id AS share_id, s.created_at AS shared_at, s.expires_at, ${ABOUT}
     FROM shares s JOIN ${FROM}
     WHERE ${ACTIVE_SHARES} AND r.deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.recording_id = r.id AND c.author_id = ?)
     ORDER BY s.created_at DESC, s.id DESC LIMIT ${HOME_LIST}`,
    [person.id, sources.now.toISOString(), person.id],
  );
  return {
    awaitingFeedback: onePerRecording(await mayAll(sources, person, "view", rows)).map(share),
    answersAwaitingFeedback: await answersAwaiting(sources, person),
  };
}

/**
 * Answers to the assignments `person` set with no feedback of theirs on the
 * answer's recording since it came (feedback on a clip answer is a comment on
 * the clip's recording, `coaching/clip-feedback.ts`), newest first.
 */
async function answersAwaiting(sources: HomeSources, person: Person) {
  const rows = await sources.db.all<{
    assignment_id: string;
    title: string;
    teacher_id: string;
    teacher_name: string;
    recording_id: string | null;
    clip_id: string | null;
    submitted_at: string;
  }>(
    `SELECT a.id AS assignment_id, a.title, at.teacher_id, u.display_name AS teacher_name,
       at.recording_id, at.clip_id, at.submitted_at
     FROM assignment_teachers at
     JOIN assignments a ON a.id = at.assignment_id
     JOIN users u ON u.id = at.teacher_id
     LEFT JOIN clips cl ON cl.id = at.clip_id
     JOIN recordings r ON r.id = COALESCE(at.recording_id, cl.recording_id)
     WHERE a.set_by = ? AND at.submitted_at IS NOT NULL AND r.deleted_at IS NULL
       AND (at.clip_id IS NULL OR cl.deleted_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.recording_id = r.id
         AND c.author_id = ? AND c.created_at >= at.submitted_at)
     ORDER BY at.submitted_at DESC, a.id LIMIT ${HOME_LIST}`,
    [person.id, person.id],
  );
  return rows.map((row) => ({
    assignmentId: row.assignment_id,
    title: row.title,
    teacherId: row.teacher_id,
    teacherName: row.teacher_name,
    recordingId: row.clip_id === null ? row.recording_id : null,
    clipId: row.clip_id,
    submittedAt: row.submitted_at,
  }));
}
