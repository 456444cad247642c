// The school's rules through the HTTP API, with a device on a real MQTT
// socket: book, record, view (audited), share, comment, ask to keep, consent,
// upload, hold, delete, sweep — and every step in the audit log.
import t from "tap";
import { randomUUID } from "node:crypto";
import { topics } from "@classcam/protocol";
import { eventually } from "../helpers/controller.js";
import { answeringDevice, startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

void t.test("book, record, view, share, keep by consent, hold, delete, sweep", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app, clock } = school;
  const { device, requests } = await answeringDevice(t, school, "room-1");

  const week = "/api/bookings?from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z";
  t.same((await as.bursar.get(week)).json(), [], "an empty week (and now a cached answer)");

  // teacher A books a coaching slot with teacher B in the room
  const booking = await as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-23T09:00:00Z",
    end: "2026-11-23T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
    staff: ["teacher-a", "teacher-b"],
    audio: true,
  });
  t.equal(booking.status, 201, JSON.stringify(booking.body));
  const bookingId = booking.json<{ bookingId: string }>().bookingId;
  t.equal(booking.json().start, "2026-11-23T09:00:00.000Z", "times are stored in one spelling");
  t.same(
    (await as.bursar.get(week)).json<{ bookingId: string }[]>().map((b) => b.bookingId),
    [bookingId],
    "the week shows the new booking at once",
  );
  const schedule = await eventually(async () => {
    const { config } = await app.devices.require("room-1");
    return config.schedule.length > 0 ? config.schedule : null;
  });
  t.same(
    schedule.map((s) => s.bookingId),
    [bookingId],
    "the device's schedule carries the booking",
  );

  const fleet = (await as.it.get("/api/devices")).json<
    { id: string; online: boolean; configVersion: number; masks: unknown[] }[]
  >();
  t.match(fleet, [{ id: "room-1", online: true, masks: [] }], "the fleet shows the device online");
  t.ok((fleet[0]?.configVersion ?? 0) >= 2, "with the config version that carries the schedule");

  // an overlapping booking is refused with the reason
  const overlap = await as["teacher-c"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-23T09:30:00Z",
    end: "2026-11-23T10:30:00Z",
    purpose: "self-reflection",
    classCode: "7A1",
  });
  t.equal(overlap.status, 400);
  t.match(overlap.json().message, /overlaps booking/);

  // the device records in the slot, over MQTT
  await school.advance(HOUR + 5 * 60_000);
  const recordingId = randomUUID();
  let seq = 0;
  const send = async (kind: string, data: Record<string, unknown>) => {
    seq += 1;
    await device.publishAsync(
      topics.events("room-1"),
      JSON.stringify({ id: randomUUID(), seq, at: clock.now.toISOString(), kind, data }),
      { qos: 1 },
    );
  };
  await send("recording.started", { recordingId, bookingId, audio: true, encoder: "libx264" });
  await school.advance(40 * 60_000);
  await send("recording.stopped", {
    recordingId,
    reason: "button",
    durationSeconds: 2400,
    segments: 600,
    bytes: 500_000_000,
  });
  const mine = await eventually(async () => {
    const list = await as["teacher-a"].get("/api/recordings");
    const found = list.json<{ recordingId: string; endedAt: string | null }[]>();
    return found.length === 1 && found[0]?.endedAt !== null ? found : null;
  });
  t.equal(mine[0]?.recordingId, recordingId, "teacher A owns the recording made in her booking");
  t.equal((await as["teacher-b"].get("/api/recordings")).json<unknown[]>().length, 0);

  // an unbooked recording is flagged and raises an alert
  const unbooked = randomUUID();
  await school.advance(2 * HOUR);
  await send("recording.started", {
    recordingId: unbooked,
    bookingId: null,
    audio: false,
    encoder: "libx264",
  });
  const flagged = await eventually(async () => {
    const list = (await as.slt.get("/api/recordings?scope=flagged")).json<
      { recordingId: string; flag: string }[]
    >();
    return list.length > 0 ? list : null;
  });
  t.same(
    flagged.map((r) => [r.recordingId, r.flag]),
    [[unbooked, "unbooked"]],
  );
  const alerts = (await as.it.get("/api/alerts")).json<{ kind: string }[]>();
  t.ok(
    alerts.some((a) => a.kind === "unbooked-recording"),
    "IT sees the alert",
  );

  // viewing is audited with its basis; others are refused
  const view = await as["teacher-a"].post(`/api/recordings/${recordingId}/views`);
  t.equal(view.status, 200);
  t.match(view.json(), { basis: "owner", watermark: /^Ms teacher-a · 2026-11-23T/ });
  t.equal((await as["teacher-c"].post(`/api/recordings/${recordingId}/views`)).status, 403);
  t.equal((await as.bursar.post(`/api/recordings/${recordingId}/views`)).status, 403);

  // share with the coach; the coach views and comments, cannot re-share
  const share = await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
    withId: "coach",
    expiresAt: new Date(clock.now.getTime() + 7 * DAY).toISOString(),
  });
  t.equal(share.status, 201, JSON.stringify(share.body));
  t.equal((await as.coach.post(`/api/recordings/${recordingId}/views`)).status, 200);
  const comment = await as.coach.post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 95.5,
    body: "Lovely questioning here",
  });
  t.equal(comment.status, 201);
  const reshare = await as.coach.post(`/api/recordings/${recordingId}/shares`, {
    withId: "coach-2",
  });
  t.equal(reshare.status, 403);
  t.match(reshare.json().message, /cannot be re-shared/);
  const comments = await as["teacher-a"].get(`/api/recordings/${recordingId}/comments`);
  t.match(comments.json(), [
    { atSeconds: 95.5, authorId: "coach", body: "Lovely questioning here" },
  ]);
  const late = await as.coach.post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 9999,
    body: "x",
  });
  t.equal(late.status, 400, "a comment past the end is refused");

  // ask to keep: B must consent in B's own session; then the device is asked to upload
  const ask = await as["teacher-a"].post(`/api/recordings/${recordingId}/archive`, {});
  t.equal(ask.status, 200, JSON.stringify(ask.body));
  t.equal(ask.json().status, "awaiting-consent");
  t.equal(requests.length, 0, "no upload before everyone agreed");
  const pending = (await as["teacher-b"].get("/api/consents")).json<{ recordingId: string }[]>();
  t.same(
    pending.map((p) => p.recordingId),
    [recordingId],
  );
  t.equal(
    (await as.coach.put(`/api/recordings/${recordingId}/consent`, { decision: "agree" })).status,
    403,
    "the coach is not in the footage and has no say",
  );
  // B declines: the request is cancelled; A asks again; B agrees
  const declined = await as["teacher-b"].put(`/api/recordings/${recordingId}/consent`, {
    decision: "decline",
  });
  t.equal(declined.json().status, "in-buffer", "a decline cancels the request");
  await as["teacher-a"].post(`/api/recordings/${recordingId}/archive`, {});
  const agreed = await as["teacher-b"].put(`/api/recordings/${recordingId}/consent`, {
    decision: "agree",
  });
  t.equal(agreed.status, 200);
  await eventually(async () => (requests.some((r) => r.op === "upload-recording") ? true : null));
  const upload = requests.find((r) => r.op === "upload-recording");
  t.match(upload?.args, { recordingId, url: new RegExp(`/api/uploads/${recordingId}$`) });
  const archived = await eventually(async () => {
    const detail = (await as["teacher-a"].get(`/api/recordings/${recordingId}`)).json();
    return detail.status === "archived" ? detail : null;
  });
  t.equal(archived.onController, true);
  t.match(archived.footage, { state: "on-controller" }, "the device really uploaded it");
  const played = await as["teacher-a"].get(`/api/recordings/${recordingId}/footage/index.m3u8`);
  t.equal(played.status, 200, "and it plays");

  // SLT places a hold; the owner cannot delete; the device is told to protect it
  const hold = await as.slt.post(`/api/recordings/${recordingId}/holds`, {
    reason: "parental complaint, 23 Nov",
  });
  t.equal(hold.status, 201, JSON.stringify(hold.body));
  const refused = await as["teacher-a"].delete(`/api/recordings/${recordingId}`);
  t.equal(refused.status, 403);
  t.match(refused.json().message, /on hold/);
  await eventually(async () =>
    (await app.devices.require("room-1")).config.holds.includes(recordingId) ? true : null,
  );

  // SLT must open an investigation (reason) to watch; the owner sees it
  t.equal((await as.slt.post(`/api/recordings/${recordingId}/views`)).status, 403);
  const opened = await as.slt.post(`/api/recordings/${recordingId}/investigations`, {
    reason: "complaint received from a parent on 23 November",
  });
  t.equal(opened.status, 201);
  t.match((await as.slt.post(`/api/recordings/${recordingId}/views`)).json(), {
    basis: "investigation",
  });
  const ownerView = (await as["teacher-a"].get(`/api/recordings/${recordingId}`)).json<{
    investigations: unknown[];
  }>();
  t.equal(ownerView.investigations.length, 1, "the owner sees that it happened");

  // years pass: nothing held is deleted; release the hold, delete, and the sweep carries it out
  await school.advance(800 * DAY);
  await app.custodian.sweep();
  t.equal((await as["teacher-a"].get(`/api/recordings/${recordingId}`)).json().status, "archived");
  const holdId = hold.json<{ holdId: number }>().holdId;
  t.equal(
    (await as.slt.post(`/api/holds/${holdId}/release`, { reason: "complaint resolved, no case" }))
      .status,
    200,
  );
  const sweep = await as.it.post("/api/retention/sweep");
  t.equal(sweep.status, 200);
  t.ok(
    sweep.json<{ controllerDeleted: number }>().controllerDeleted >= 1,
    "archive retention deletes it",
  );
  await eventually(async () =>
    requests.some((r) => r.op === "delete-recording" && r.args.recordingId === recordingId)
      ? true
      : null,
  );
  const gone = await eventually(async () => {
    const detail = await as.slt.get(`/api/recordings/${recordingId}`);
    return detail.json().status === "deleted" ? detail.json() : null;
  });
  t.match(gone, { onDevice: false, onController: false });
  const deletions = (await as.dpo.get("/api/deletions")).json<
    { recordingId: string; copy: string }[]
  >();
  t.same(
    deletions
      .filter((d) => d.recordingId === recordingId)
      .map((d) => d.copy)
      .sort(),
    ["controller", "device"],
    "both copies' deletions are recorded",
  );

  // the audit log has every step, and the chain verifies
  const audit = (await as.dpo.get(`/api/audit?subject=${recordingId}&limit=1000`)).json<{
    entries: { action: string }[];
  }>();
  const actions = new Set(audit.entries.map((e) => e.action));
  for (const action of [
    "recording.view",
    "share.create",
    "comment.add",
    "archive.request",
    "consent.give",
    "consent.withdraw",
    "archive.complete",
    "hold.place",
    "investigation.open",
    "hold.release",
    "footage.delete",
  ]) {
    t.ok(actions.has(action), `audited: ${action}`);
  }
  t.match((await as.dpo.get("/api/audit/verify")).json(), { ok: true, entries: Number });
  // an anchor the log no longer matches: the answer names the entry and the problem
  const forged = await as.dpo.get(`/api/audit/verify?anchorSeq=1&anchorHash=${"0".repeat(64)}`);
  t.equal(forged.status, 200);
  t.match(forged.json(), { ok: false, seq: Number, problem: /anchor/ });
  const csv = await as.dpo.get("/api/audit/export?format=csv");
  t.equal(csv.status, 200);
  t.match(String(csv.headers["content-type"]), /text\/csv/);
});
