// Every route that gives pixels or sound, found in the OpenAPI document by the
// content type of its answers (image, video, audio, HLS playlists and
// segments), must be one this test knows and checks: footage routes answer as
// `decide()` does for viewing, person by person; the live picture of a room
// goes only to those who set its masks. A new media route that is not in the
// list fails here, and so does one that hides its content type (a media type
// named only in words, or none declared).
import t from "tap";
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decideClip } from "../../controller/src/domain/clip-access.js";
import { decide, MASK_ROLES } from "../../controller/src/domain/access.js";
import { mayExportForSubjectAccess } from "../../controller/src/domain/privacy/dpo-rules.js";
import { bookingPictureVerdict } from "../../controller/src/domain/booking-picture-rule.js";
import { mayManage } from "../../controller/src/domain/timetable.js";
import { PEOPLE, recordedLesson, startSchool } from "../helpers/school.js";
import { insertClipRow } from "../helpers/clip-rows.js";

const START = new Date("2026-11-23T08:00:00.000Z");
// a tar is the DPO's subject access export, which may hold footage
const MEDIA = /^(image|video|audio)\/|mpegurl|mp2t|mp4|webm|ogg|octet-stream|x-tar/i;

type Guard =
  /** Footage of one recording: served only when `decide(person, "view", …)` allows it. */
  | { kind: "footage"; path: (recordingId: string) => string }
  /** A live picture of a room, taken with the box's lamp lit: for those who set masks. */
  | { kind: "live-picture"; path: (deviceId: string) => string }
  /** Footage of one clip: served only when `decideClip(person, "view", …)` allows it. */
  | { kind: "clip"; path: (clipId: string) => string }
  /** The DPO's subject access export: the DPO alone (domain/privacy/dpo-rules.ts). */
  | { kind: "subject-access"; path: (exportId: string) => string }
  /** A live picture of a booking's room, to draw its masks: booking-picture-rule.ts. */
  | { kind: "booking-picture"; path: (bookingId: string) => string };

const MEDIA_ROUTES: Record<string, Guard> = {
  "GET /api/recordings/{id}/footage/index.m3u8": {
    kind: "footage",
    path: (id) => `/api/recordings/${id}/footage/index.m3u8`,
  },
  "GET /api/recordings/{id}/footage/{segment}": {
    kind: "footage",
    path: (id) => `/api/recordings/${id}/footage/seg-00001.ts`,
  },
  "GET /api/recordings/{id}/footage/key": {
    kind: "footage",
    path: (id) => `/api/recordings/${id}/footage/key`,
  },
  "GET /api/clips/{clipId}/footage/index.m3u8": {
    kind: "clip",
    path: (id) => `/api/clips/${id}/footage/index.m3u8`,
  },
  "GET /api/clips/{clipId}/footage/{segment}": {
    kind: "clip",
    path: (id) => `/api/clips/${id}/footage/seg-00000.ts`,
  },
  "GET /api/clips/{clipId}/footage/key": {
    kind: "clip",
    path: (id) => `/api/clips/${id}/footage/key`,
  },
  "POST /api/devices/{id}/picture": {
    kind: "live-picture",
    path: (deviceId) => `/api/devices/${deviceId}/picture`,
  },
  "POST /api/bookings/{id}/picture": {
    kind: "booking-picture",
    path: (bookingId) => `/api/bookings/${bookingId}/picture`,
  },
  "GET /api/dpo/exports/{exportId}": {
    kind: "subject-access",
    path: (exportId) => `/api/dpo/exports/${exportId}`,
  },
};

interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

void t.test("every route that gives pixels or sound is known and guarded", async (t) => {
  const school = await startSchool({ start: START, devices: ["room-1"] });
  t.teardown(school.close);
  const { app, as } = school;

  const openapi = (await school.anonymous.get("/api/openapi.json")).json<{
    paths: Record<string, Record<string, Operation>>;
  }>();
  const declared: string[] = [];
  const hidden: string[] = [];
  for (const [path, methods] of Object.entries(openapi.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const route = `${method.toUpperCase()} ${path}`;
      const types = Object.values(operation.responses ?? {}).flatMap((answer) =>
        Object.keys(answer.content ?? {}),
      );
      if (types.some((type) => MEDIA.test(type))) declared.push(route);
      // a media type named anywhere else (a description, a summary) is a route hiding its answer
      const words = JSON.stringify({ ...operation, responses: undefined });
      const answers = Object.values(operation.responses ?? {}).map((a) => a.description ?? "");
      if (
        !types.some((type) => MEDIA.test(type)) &&
        [words, ...answers].some((text) => /(image|video|audio)\/|mpegurl|mp2t/i.test(text))
      ) {
        hidden.push(route);
      }
    }
  }
  t.same(hidden, [], "no route names a media type without declaring it as its answer's content");
  t.same(
    declared.sort(),
    Object.keys(MEDIA_ROUTES).sort(),
    "every media route in the OpenAPI document is one this test checks",
  );
  t.notOk(
    "/api/devices/{id}/frame" in openapi.paths,
    "no still of a kept recording is served for masks (it would be footage without decide())",
  );

  // one recording, shared with the coach, and (as if made before the rule) with the Bursar
  const { recordingId, bookingId } = await recordedLesson(school);
  t.equal(
    (await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, { withId: "coach" }))
      .status,
    201,
  );
  await app.db.transaction(async (tx) => {
    await tx.run(
      "INSERT INTO shares (recording_id, with_id, created_by, created_at) VALUES (?, 'bursar', 'teacher-a', ?)",
      [recordingId, START.toISOString()],
    );
  });
  const access = await app.recordings.accessOf(null, recordingId);
  // a clip of it in the exemplar bank, its footage in its folder
  const clipId = randomUUID();
  await app.db.transaction((tx) =>
    insertClipRow(tx, {
      id: clipId,
      recordingId,
      from: 0,
      to: 1,
      title: "Matrix",
      bankState: "in-bank",
      createdAt: START.toISOString(),
    }),
  );
  await mkdir(app.clips.folder(clipId), { recursive: true });
  await writeFile(join(app.clips.folder(clipId), "index.m3u8"), "#EXTM3U\n");
  await writeFile(join(app.clips.folder(clipId), "seg-00000.ts"), "clip");
  const clipAccess = await app.clips.bank.accessOf(null, clipId);

  for (const [route, guard] of Object.entries(MEDIA_ROUTES)) {
    const method = route.split(" ")[0] as "GET" | "POST";
    for (const person of PEOPLE) {
      const caller = as[person.id];
      if (guard.kind === "footage") {
        const decision = decide(person, "view", access, app.now());
        const reply = await caller.call(method, guard.path(recordingId));
        if (decision.allowed) {
          t.not(reply.status, 403, `${route}: ${person.id} may view (${decision.basis})`);
        } else {
          t.equal(reply.status, 403, `${route}: ${person.id} refused, as decide() refuses`);
          t.equal(reply.json<{ message: string }>().message, decision.reason, "in its words");
        }
      } else if (guard.kind === "clip") {
        const decision = decideClip(person, "view", clipAccess, app.now());
        const reply = await caller.call(method, guard.path(clipId));
        if (decision.allowed) {
          // a colleague may wait for the copy with faces blurred (409): never refused
          t.not(reply.status, 403, `${route}: ${person.id} may watch (${decision.basis})`);
        } else {
          t.equal(reply.status, 403, `${route}: ${person.id} refused, as decideClip() refuses`);
          t.equal(reply.json<{ message: string }>().message, decision.reason, "in its words");
        }
      } else if (guard.kind === "subject-access") {
        // no such export: the DPO is told so, everyone else refused before anything is looked up
        const decision = mayExportForSubjectAccess(person);
        const reply = await caller.call(method, guard.path(recordingId));
        t.equal(
          reply.status,
          decision.allowed ? 404 : 403,
          `${route}: ${person.id} → ${reply.status}`,
        );
      } else if (guard.kind === "booking-picture") {
        // its class has no do-not-record pupil: whoever may change it is told so, the rest refused
        const verdict = bookingPictureVerdict({
          roles: person.roles,
          mayManage: mayManage(person, await app.timetable.require(bookingId)),
          booking: { status: "confirmed", start: "2026-11-23T09:00:00Z", doNotRecordPupils: false },
          inProgress: null,
          now: app.now(),
        });
        const reply = await caller.call(method, guard.path(bookingId));
        const expected = verdict.allowed ? 200 : verdict.kind === "forbidden" ? 403 : 409;
        t.equal(reply.status, expected, `${route}: ${person.id} → ${reply.status}`);
      } else {
        // a box that is not connected: the roles that set masks are told so, the rest refused
        const reply = await caller.call(method, guard.path("room-1"));
        const may = person.roles.some((role: string) =>
          (MASK_ROLES as readonly string[]).includes(role),
        );
        t.equal(reply.status, may ? 409 : 403, `${route}: ${person.id} → ${reply.status}`);
      }
    }
  }
});
