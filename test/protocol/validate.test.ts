import t from "tap";
import { randomUUID } from "node:crypto";
import {
  MAX_PAYLOAD_BYTES,
  checkAck,
  checkConfig,
  encode,
  eventIdOf,
  parse,
  type DeviceConfig,
} from "@classcam/protocol";

const event = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: randomUUID(),
    seq: 7,
    at: "2026-11-23T09:00:00.000Z",
    kind: "recording.refused",
    data: { reason: "no-booking", bookingId: null },
    ...over,
  });

void t.test("a valid event parses to its typed value", async (t) => {
  const result = parse.event(event());
  t.ok(result.ok);
  if (result.ok) {
    t.equal(result.value.kind, "recording.refused");
    t.equal(result.value.seq, 7);
  }
});

void t.test(
  "bad payloads are refused with a message that says what is wrong and where",
  async (t) => {
    const cases: [string, string | Buffer, RegExp][] = [
      ["not JSON", "{nope", /^payload is not JSON/],
      ["empty", "", /payload is empty/],
      ["oversize", Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), /65537 bytes; the limit is 65536/],
      ["an array", "[]", /\(root\): must be object/],
      ["missing id", event({ id: undefined }), /^id: is required$/],
      ["id not a UUID", event({ id: "42" }), /^id: must be a lower-case UUID, like /],
      ["negative seq", event({ seq: -1 }), /^seq: must be >= 0$/],
      ["seq a string", event({ seq: "7" }), /^seq: must be integer$/],
      ["bad timestamp", event({ at: "yesterday" }), /^at: must match format "date-time"$/],
      [
        "unknown kind",
        event({ kind: "teacher.sneezed" }),
        /^kind: must be one of "device.started", /,
      ],
      ["unknown field", event({ extra: 1 }), /^\(root\): unknown property 'extra'$/],
      [
        "data of the wrong shape",
        event({ data: { reason: "bored", bookingId: 3 } }),
        /^recording.refused event: data.reason: must be one of .*; data.bookingId: must be null, or must be string$/,
      ],
    ];
    for (const [what, payload, message] of cases) {
      const result = parse.event(payload);
      t.notOk(result.ok, `${what} is refused`);
      if (!result.ok) t.match(result.error, message, what);
    }
  },
);

void t.test("a box says which hardware backend it runs on: linux or sim", async (t) => {
  const bootId = randomUUID();
  const started = (data: Record<string, unknown>) =>
    parse.event(event({ kind: "device.started", data: { software: "1.0.0", bootId, ...data } }));
  const state = (over: Record<string, unknown>) =>
    parse.state(
      JSON.stringify({
        at: "2026-11-23T09:00:00.000Z",
        software: "1.0.0",
        bootId,
        lamp: "off",
        recording: null,
        configVersion: null,
        ...over,
      }),
    );
  for (const backend of ["linux", "sim"]) {
    t.ok(started({ backend }).ok, `device.started with backend ${backend}`);
    t.ok(state({ backend }).ok, `state with backend ${backend}`);
  }
  t.ok(started({}).ok, "older software omits it from device.started");
  t.ok(state({}).ok, "and from its state");
  const badEvent = started({ backend: "qemu" });
  t.notOk(badEvent.ok);
  if (!badEvent.ok) t.match(badEvent.error, /data.backend: must be one of "linux", "sim"/);
  const badState = state({ backend: "qemu" });
  t.notOk(badState.ok);
  if (!badState.ok) t.match(badState.error, /backend: must be one of "linux", "sim"/);
});

void t.test("a UUID has one spelling: lower case, no urn:uuid: prefix", async (t) => {
  const id = randomUUID();
  for (const spelling of [id.toUpperCase(), `urn:uuid:${id}`, `{${id}}`]) {
    t.match(
      parse.event(event({ id: spelling })),
      { ok: false, error: /^id: must be a lower-case UUID, like [0-9a-f-]{36} \(not upper case/ },
      `event id '${spelling}'`,
    );
    const deleted = event({
      kind: "recording.deleted",
      data: { recordingId: spelling, reason: "retention", bytes: 1 },
    });
    t.match(
      parse.event(deleted),
      { ok: false, error: /recording.deleted event: data.recordingId: must be a lower-case UUID/ },
      `recording id '${spelling}'`,
    );
  }
  t.ok(parse.event(event({ id })).ok, "the canonical spelling is accepted");
  // the controller refuses another spelling by naming the id as it was sent
  t.ok(
    parse.ack(JSON.stringify({ accepted: [], rejected: [{ id: id.toUpperCase(), reason: "x" }] }))
      .ok,
  );
  t.notOk(parse.ack(JSON.stringify({ accepted: [id.toUpperCase()], rejected: [] })).ok);
  t.equal(eventIdOf({ id: `urn:uuid:${id}` }), `urn:uuid:${id}`, "a refusal names the id as sent");
});

void t.test("every problem is reported at once", async (t) => {
  const result = parse.state("{}");
  t.notOk(result.ok);
  if (!result.ok) {
    for (const field of ["at", "software", "bootId", "lamp", "recording", "configVersion"]) {
      t.match(result.error, `${field}: is required`);
    }
  }
});

void t.test("availability, ack and config validate too", async (t) => {
  t.ok(parse.availability('{"status":"offline"}').ok);
  t.match(parse.availability('{"status":"asleep"}'), {
    ok: false,
    error: /status: must be one of "online", "offline"/,
  });
  t.ok(parse.ack(JSON.stringify({ accepted: [randomUUID()], rejected: [] })).ok);
  t.match(parse.ack('{"accepted":["x"],"rejected":[]}'), {
    ok: false,
    error: /accepted.0: must be a lower-case UUID/,
  });
  const config: DeviceConfig = {
    version: 1,
    issuedAt: "2026-11-23T09:00:00.000Z",
    room: "Lab 1",
    schedule: [],
    retention: { bufferDays: 15 },
    policy: { allowUnbookedRecording: false },
    masks: [{ x: 0.5, y: 0.5, width: 0, height: 0.2 }],
    holds: [],
  };
  const checked = checkConfig(config);
  t.notOk(checked.ok);
  if (!checked.ok) {
    t.match(checked.error, /retention.bufferDays: must be <= 14/);
    t.match(checked.error, /masks.0.width: must be > 0/);
  }
});

void t.test("requests and responses are checked per operation", async (t) => {
  const id = randomUUID();
  t.ok(
    parse.request("ping", JSON.stringify({ id, sentAt: new Date().toISOString(), args: {} })).ok,
  );
  t.match(
    parse.request(
      "delete-recording",
      JSON.stringify({ id, sentAt: new Date().toISOString(), args: {} }),
    ),
    {
      ok: false,
      error: /delete-recording request: args.recordingId: is required/,
    },
  );
  t.ok(
    parse.response(
      "ping",
      JSON.stringify({ id, status: "ok", data: { at: new Date().toISOString() }, error: null }),
    ).ok,
  );
  t.ok(
    parse.response(
      "ping",
      JSON.stringify({ id, status: "error", data: null, error: "camera busy" }),
    ).ok,
  );
  t.match(
    parse.response("ping", JSON.stringify({ id, status: "error", data: null, error: null })),
    { ok: false },
  );
  t.match(parse.response("ping", JSON.stringify({ id, status: "ok", data: {}, error: null })), {
    ok: false,
    error: /ping response: data.at: is required/,
  });
});

void t.test("encode refuses to put an invalid payload on the wire", async (t) => {
  t.throws(
    () => encode(checkAck, { accepted: ["not-a-uuid"], rejected: [] }),
    /refusing to send an invalid payload/,
  );
  const bytes = encode(checkAck, { accepted: [], rejected: [] });
  t.equal(bytes.toString(), '{"accepted":[],"rejected":[]}');
});
