/**
 * The audit log in sentences (`controller/web/src/audit-sentences.ts`): every
 * action the server writes has one, it names people, rooms and recordings by
 * the page's names, and no detail is shown as raw JSON or cut short.
 */
import t from "tap";
import { AUDIT_ACTIONS, type KnownAuditAction } from "../../controller/src/domain/audit-actions.js";
import { Naming, SENTENCES, sentence } from "../../controller/web/src/audit-sentences.js";
import { time, when } from "../../controller/web/src/format.js";
import type { AuditEntry, AuditNames } from "../../controller/web/src/types-school.js";

const REC = "0b8f4a52-3f6e-4f7e-9a55-1e2f3a4b5c6d";
const BOOKING = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const START = "2026-11-23T13:05:00.000Z";
const END = "2026-11-23T13:55:00.000Z";

const names: AuditNames = {
  people: { head: "Ms Head", "teacher-a": "Mr Able", coach: "Ms Coach" },
  rooms: { "demo-room": "Demo classroom" },
  recordings: { [REC]: { purpose: "coaching", room: "Demo classroom", startedAt: START } },
  bookings: {
    [BOOKING]: {
      purpose: "coaching",
      room: "Demo classroom",
      start: START,
      end: END,
      audio: true,
      teacherId: "teacher-a",
    },
  },
};
const naming = new Naming(names);
const TITLE = `Coaching in Demo classroom, ${when(START)}`;
const booking = {
  bookingId: BOOKING,
  deviceId: "demo-room",
  teacherId: "teacher-a",
  start: START,
  end: END,
  purpose: "coaching",
  staff: ["teacher-a"],
  audio: true,
  status: "confirmed",
  doNotRecordPupils: false,
  mitigation: null,
  classCode: null,
  createdBy: "teacher-a",
};

/** An entry of each action as the server writes it, and words its sentence must say. */
const EXAMPLES: Record<KnownAuditAction, [subject: string, detail: object, says: RegExp]> = {
  "sign-in": ["head", { address: "10.0.0.5" }, /^signed in from 10\.0\.0\.5$/],
  "sign-in.refused": [
    "head",
    { address: "10.0.0.5", why: "wrong password" },
    /Ms Head refused \(wrong password\)/,
  ],
  "sign-out": ["head", {}, /^signed out$/],
  "user.add": ["coach", { roles: ["coach"] }, /^added Ms Coach \(coach\) as Coach$/],
  "user.setup": [
    "head",
    { roles: ["admin"] },
    /Ms Head as its first administrator \(Administrator\)/,
  ],
  "user.update": [
    "coach",
    {
      before: { displayName: "Ms Coach", roles: ["coach"], status: "active" },
      after: { status: "disabled" },
    },
    /^changed Ms Coach's account: status from active to disabled$/,
  ],
  "user.grant-role": [
    "coach",
    { roles: ["coach", "dpo"], footage: ["coach"] },
    /roles Coach and Data protection officer \(Coach may see footage\)/,
  ],
  "user.reset-password": ["coach", {}, /^reset Ms Coach's password$/],
  "user.change-password": ["coach", {}, /own password/],
  "user.import": [
    "",
    { mode: "all-or-nothing", people: 3, added: 2, skippedLines: [4] },
    /2 people added of 3, 1 line skipped/,
  ],
  "user.link": [
    "coach",
    { email: "coach@school.org", issuer: "https://login.example", via: "oidc" },
    /^linked Ms Coach's account to their sign-in at the school's identity provider \(coach@school\.org\)$/,
  ],
  "oidc.role-map": [
    "",
    {
      before: [{ group: "Teaching staff", roles: ["teacher"] }],
      after: [
        { group: "Teaching staff", roles: ["teacher"] },
        { group: "SLT", roles: ["slt"] },
      ],
      footage: [{ group: "SLT", roles: ["slt"] }],
    },
    /^changed which roles the identity provider's groups give \(2 groups\), giving a role that sees footage to 1 group$/,
  ],
  "user.reconcile": [
    "",
    { listed: 80, disabled: ["teacher-a", "coach"] },
    /^checked the accounts against the school's staff list \(80 people\): 2 accounts not on it disabled$/,
  ],
  "timetable.import": [
    "",
    { format: "csv", lessons: 1200, added: 1, changed: 2, removed: 3 },
    /^imported the timetable: 1 lesson added, 2 changed, 3 removed$/,
  ],
  "timetable.rooms": ["", { rooms: 60, withBox: 2 }, /\(60 rooms\)/],
  "booking.create": [
    BOOKING,
    { booking },
    new RegExp(
      `^booked Coaching in Demo classroom, .*, ${time(START)}–${time(END)}, sound on, for Mr Able$`,
    ),
  ],
  "booking.amend": [
    BOOKING,
    { before: booking, after: { ...booking, audio: false } },
    /: audio from true to false|sound from true to false/,
  ],
  "booking.cancel": [
    BOOKING,
    { reason: "trip" },
    /^cancelled the booking Coaching in Demo classroom.*sound on: “trip”$/,
  ],
  "recording.view": [REC, { basis: "owner" }, new RegExp(`^opened ${TITLE} \\(as its owner\\)$`)],
  "recording.flag": [REC, { flag: "unbooked", bookingId: null }, /outside a booking/],
  "recording.delete": [REC, {}, /^asked to delete Coaching/],
  "footage.play": [REC, { basis: "share" }, /shared with them/],
  "footage.key": [
    REC,
    { basis: "owner" },
    /^opened the key of the encrypted footage of Coaching.*as its owner/,
  ],
  "footage.upload-request": [
    REC,
    { basis: "owner", device: "demo-room" },
    /asked the box in Demo classroom for the footage/,
  ],
  "footage.upload-complete": [REC, { segments: 150, bytes: 12_000_000 }, /150 segments, 12 MB/],
  "footage.delete": [
    REC,
    { copy: "device", reason: "buffer-retention", bytes: 1000 },
    /the classroom box's copy .* days in the classroom box were over/,
  ],
  "footage.delete-disputed": [
    REC,
    { copy: "device", reason: "buffer-retention", bytes: 1, refused: "on hold" },
    /on hold/,
  ],
  "comment.add": [REC, { commentId: 3, atSeconds: 125 }, /at 2:05$/],
  "share.create": [
    REC,
    { shareId: 1, with: "coach", expiresAt: null },
    /with Ms Coach, with no end date$/,
  ],
  "share.unblurred": [
    REC,
    { shareId: 2, with: "coach", expiresAt: null },
    /^shared Coaching.* unblurred — faces as recorded, as the school's policy allowed — with Ms Coach/,
  ],
  "share.revoke": [REC, { shareId: 1 }, /^withdrew a share of Coaching/],
  "strand.add": [
    "12",
    { framework: "Ours", code: "OS1", name: "Questioning" },
    /strand OS1 “Questioning”/,
  ],
  "strand.rename": [
    "12",
    { code: "OS1", from: "Old", to: "New", version: 2 },
    /from “Old” to “New”/,
  ],
  "strand.retire": ["12", { code: "OS1", name: "Questioning" }, /^retired the strand OS1/],
  "assignment.set": [
    "a1",
    { title: "Starters", teachers: ["teacher-a"], dueOn: "2026-12-04", strands: [] },
    /^set the assignment “Starters” for Mr Able, due Fri,? 4 Dec 2026$/,
  ],
  "assignment.submit": [
    "a1",
    { recordingId: REC, setBy: "coach" },
    /^answered an assignment set by Ms Coach with Coaching/,
  ],
  "next-step.done": [REC, { commentId: 3 }, /^marked a next step done on Coaching/],
  "next-step.reopen": [REC, { commentId: 3 }, /^opened a next step again on Coaching/],
  "coaching.export": ["teacher-a", { format: "csv" }, /^downloaded their own coaching timeline$/],
  "archive.request": [REC, { exemplar: false }, /^asked to keep Coaching/],
  "archive.consented": [REC, { staff: ["teacher-a", "coach"] }, /\(Mr Able and Ms Coach\)$/],
  "archive.complete": [
    REC,
    { segments: 2, bytes: 2000 },
    /on the school's server \(2 segments, 2\.0 KB\)$/,
  ],
  "archive.cancel": [REC, { why: "consent declined" }, /“consent declined”$/],
  "consent.give": [REC, {}, /^agreed to keep/],
  "consent.withdraw": [REC, {}, /^declined to keep/],
  "exemplar.release": [REC, {}, /exemplar bank$/],
  "clip.cut": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", recording: REC, cut: [1200, 1500], asked: [1201.5, 1499] },
    /^cut the clip “Cold calling” \(20:00–25:00\) from Coaching in Demo classroom/,
  ],
  "clip.play": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", recording: REC, basis: "bank" },
    /^played the clip “Cold calling” \(from the exemplar bank\)$/,
  ],
  "clip.key": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", recording: REC, basis: "bank" },
    /^opened the key of the encrypted footage of the clip “Cold calling” to play it \(from the exemplar bank\)$/,
  ],
  "clip.offer": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", recording: REC, subject: "Maths", yearGroup: "Year 7", strands: [1] },
    /^offered the clip “Cold calling” to the exemplar bank$/,
  ],
  "clip.consent": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", decision: "decline" },
    /^declined the clip “Cold calling” going into the exemplar bank$/,
  ],
  "clip.bank-enter": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", staff: ["teacher-a"] },
    /^put the clip “Cold calling” in the exemplar bank: every member of staff agreed$/,
  ],
  "clip.bank-decline": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", declinedBy: ["teacher-b"] },
    /^kept the clip “Cold calling” out of the exemplar bank/,
  ],
  "clip.withdraw": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", basis: "leadership" },
    /^withdrew the clip “Cold calling” from the exemplar bank$/,
  ],
  "clip.delete": [
    "5d1c2b3a-0000-4000-8000-00000000c111",
    { title: "Cold calling", why: "withdrawn from the exemplar bank", bytes: 100 },
    /^deleted the clip “Cold calling”: “withdrawn from the exemplar bank”$/,
  ],
  "notification.settings": [
    "teacher-a",
    { emailKinds: ["share", "feedback"], ownAddress: true },
    /^chose which notifications reach them by e-mail \(2 kinds\)$/,
  ],
  "concern.flag": [REC, { concernId: 1 }, /^flagged a concern about Coaching/],
  "concern.answer": [REC, { concernId: 1 }, /^answered a concern about Coaching/],
  "concern.leads": [
    "",
    { leads: ["head", "coach"] },
    /^named who concerns go to: Ms Head and Ms Coach$/,
  ],
  "hold.place": [
    REC,
    { holdId: 1, reason: "safeguarding review" },
    /^placed a hold on .*: “safeguarding review”$/,
  ],
  "hold.release": [REC, { holdId: 1, reason: "review finished" }, /“review finished”$/],
  "investigation.open": [
    REC,
    { investigationId: 1, reason: "a complaint about the lesson" },
    /for an investigation: “a complaint/,
  ],
  "investigation.close": [REC, { investigationId: 1 }, /^closed the investigation of Coaching/],
  "policy.change": [
    "policy",
    {
      before: { retention: { bufferDays: 7, archiveDays: 730 } },
      after: { retention: { bufferDays: 10, archiveDays: 730 } },
    },
    /^changed the school's policy: days in the classroom box from 7 to 10$/,
  ],
  "device.enrol": ["demo-room", { room: "Demo classroom" }, /“demo-room” for Demo classroom/],
  "device.disable": ["demo-room", {}, /^disabled the box in Demo classroom$/],
  "device.enable": ["demo-room", {}, /^enabled the box/],
  "device.retire": ["demo-room", {}, /^retired the box/],
  "device.rotate-secret": ["demo-room", {}, /new secret/],
  "device.masks": [
    "demo-room",
    { masks: [{ x: 0, y: 0, width: 1, height: 1 }] },
    /1 privacy mask on/,
  ],
  "device.zones": [
    "demo-room",
    { mode: "background", zones: [{ x: 0, y: 0, width: 0.5, height: 1 }] },
    /^set the teacher zones of the box in Demo classroom: faces in 1 zone left sharp, everything outside blurred$/,
  ],
  "device.self-test": ["demo-room", { ok: true, detail: "640x360" }, /it works \(640x360\)/],
  "device.picture": [
    "demo-room",
    { room: "Demo classroom", purpose: "privacy masks", ok: true },
    /lamp lit$/,
  ],
  "device.wiped": ["demo-room", { recordingsKnownHere: 1 }, /1 recording known there/],
  "alert.clear": ["12", {}, /alert 12/],
  "retention.sweep": ["", { controller: 1, devices: 2 }, /1 copy deleted .* 2 deletions asked/],
  "dpo.export": [
    "5d1c2b3a-0000-4000-8000-000000000001",
    { reference: "SAR-14", recordings: [REC, REC], footage: [REC], facesBlurred: false },
    /subject access export for request “SAR-14”: 2 recordings, footage of 1 recording \(faces not blurred\)/,
  ],
  "dpo.export-download": [
    "5d1c2b3a-0000-4000-8000-000000000001",
    { reference: "SAR-14", bytes: 100 },
    /took away the subject access export for request “SAR-14” — a copy now outside the system/,
  ],
  "dpo.export-expire": [
    "5d1c2b3a-0000-4000-8000-000000000001",
    { reference: "SAR-14", madeAt: "2026-11-23T08:00:00.000Z", keptDays: 7 },
    /^deleted the subject access export for request “SAR-14”: not taken away within 7 days$/,
  ],
  "sealing-key.rotate": [
    "0123456789abcdef",
    { keyId: "0123456789abcdef", previous: "fedcba9876543210", recordings: 3, copies: 1 },
    /^made a new sealing key \(0123456789abcdef\) and sealed the keys of 3 recordings and 1 copy to it$/,
  ],
  "footage.export": [
    REC,
    { exportId: "x", reference: "SAR-14" },
    /put Coaching in Demo classroom.* in a subject access export \(request “SAR-14”\)/,
  ],
  "dpo.erasure": [
    "5d1c2b3a-0000-4000-8000-000000000002",
    { reference: "ERASE-7", erase: [REC], refused: [{ recordingId: REC, reason: "on hold" }] },
    /erasure under request “ERASE-7”: 1 recording to erase, 1 recording refused/,
  ],
  "recording.erase": [
    REC,
    { erasureId: "x", reference: "ERASE-7" },
    /erased Coaching in Demo classroom.* on request “ERASE-7”/,
  ],
  "audit.verify": ["", { ok: true }, /it is whole/],
  "audit.export": [
    "",
    { format: "csv", filter: { actor: "head" } },
    /as CSV \(entries by Ms Head\)/,
  ],
};

const entry = (action: string, subject: string, detail: object): AuditEntry => ({
  seq: 1,
  at: START,
  actor: "head",
  action,
  subject,
  detail: detail as AuditEntry["detail"],
  prevHash: "0".repeat(64),
  hash: "1".repeat(64),
});

void t.test("every action the server writes has a sentence", async (t) => {
  for (const action of AUDIT_ACTIONS) {
    t.type(SENTENCES[action], "function", `${action} has a sentence`);
    const [subject, detail, says] = EXAMPLES[action];
    const words = sentence(entry(action, subject, detail), naming);
    t.match(words, says, action);
    t.notMatch(words, /undefined|\[object|[{}]|…/, `${action}: no raw JSON, nothing cut`);
  }
});

void t.test("what the page cannot name still reads, whole", async (t) => {
  const gone = "9d1b7f3c-0000-4000-8000-000000000000";
  t.equal(
    sentence(entry("hold.place", gone, { reason: "x".repeat(400) }), naming),
    `placed a hold on a recording no longer listed (${gone}): “${"x".repeat(400)}”`,
  );
  t.equal(
    sentence(entry("device.frame", "demo-room", { note: "y".repeat(300) }), naming),
    `Room picture shown (for masks) about the box in Demo classroom (note: ${"y".repeat(300)})`,
    "an action no longer written: its words and every field",
  );
  t.equal(naming.person("system"), "the school's server");
  t.equal(naming.person("demo-room"), "the box in Demo classroom", "a box as actor, by its room");
  t.equal(naming.subject(entry("recording.view", REC, {})), TITLE);
});

void t.test("a booking's own masks read as how many, never as coordinates", async (t) => {
  const seat = { x: 0.6, y: 0.5, width: 0.2, height: 0.25 };
  const made = sentence(
    entry("booking.create", BOOKING, { booking: { ...booking, masks: [seat, seat] } }),
    naming,
  );
  t.match(made, /sound on, for Mr Able, with 2 masks$/);
  const changed = sentence(
    entry("booking.amend", BOOKING, {
      before: { ...booking, masks: [] },
      after: { ...booking, masks: [seat] },
    }),
    naming,
  );
  t.match(changed, /: masks on the booking from none to 1 rectangle$/);
  t.notMatch(`${made} ${changed}`, /[{}]|0\.6/, "no coordinates");
});
void t.test("a subject access export says whether its faces are blurred", async (t) => {
  const made = { reference: "SAR-15", recordings: [REC], footage: [REC] };
  const id = "5d1c2b3a-0000-4000-8000-000000000002";
  t.match(
    sentence(entry("dpo.export", id, { ...made, facesBlurred: true }), naming),
    /footage of 1 recording \(every face blurred\)$/,
  );
  t.match(
    sentence(entry("dpo.export", id, { ...made, facesBlurred: false }), naming),
    /footage of 1 recording \(faces not blurred\)$/,
  );
});
