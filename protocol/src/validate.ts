/**
 * Validation used by both sides: size limit, JSON parsing and the payload's
 * JSON Schema, with an error that says exactly what is wrong and where.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { Static, TSchema } from "@sinclair/typebox";
import {
  AvailabilitySchema,
  DeviceConfigSchema,
  DeviceStateSchema,
  EVENT_DATA_SCHEMAS,
  EventAckSchema,
  EventEnvelopeSchema,
  MAX_PAYLOAD_BYTES,
  REQUEST_SCHEMAS,
  RequestEnvelopeSchema,
  ResponseEnvelopeSchema,
  type DeviceEvent,
  type DeviceRequest,
  type DeviceResponse,
  type EventKind,
} from "./schemas.js";
import type { RequestOp } from "./topics.js";
import { ANY_UUID_PATTERN, UUID_PATTERN, UUID_PROBLEM } from "./ids.js";

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv, ["uuid", "date-time", "uri"]);

/** Compiles a TypeBox schema once; the returned function checks an already-parsed value. */
export function compile<S extends TSchema>(schema: S): (value: unknown) => Result<Static<S>> {
  const check: ValidateFunction = ajv.compile(schema);
  return (value) =>
    check(value)
      ? { ok: true, value: value as Static<S> }
      : { ok: false, error: describeErrors(check.errors ?? []) };
}

/**
 * Turns ajv's errors into one readable clause per problem, all of them. The
 * branches of a union (e.g. "null or a string") are folded into one clause.
 */
export function describeErrors(errors: readonly ErrorObject[], prefix = ""): string {
  const unions = new Set(
    errors.filter((error) => error.keyword === "anyOf").map((error) => error.instancePath),
  );
  const clauses = new Map<string, string[]>();
  for (const error of errors) {
    if (error.keyword === "anyOf") continue;
    const params = error.params as Record<string, unknown>;
    let where = pathOf(prefix, error.instancePath);
    let text: string;
    switch (error.keyword) {
      case "additionalProperties":
        text = `unknown property '${String(params.additionalProperty)}'`;
        break;
      case "required":
        where = pathOf(prefix, `${error.instancePath}/${String(params.missingProperty)}`);
        text = "is required";
        break;
      case "enum":
        text = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
        break;
      case "pattern":
        text = params.pattern === UUID_PATTERN ? UUID_PROBLEM : (error.message ?? "is invalid");
        break;
      default:
        text = error.message ?? "is invalid";
    }
    const key =
      unions.has(error.instancePath) && error.keyword !== "required"
        ? `${where}|union`
        : `${where}|${text}`;
    const texts = clauses.get(key) ?? [];
    texts.push(text);
    clauses.set(key, texts);
  }
  if (clauses.size === 0) return "is invalid";
  return [...clauses.entries()]
    .map(
      ([key, texts]) =>
        `${key.slice(0, key.lastIndexOf("|"))}: ${[...new Set(texts)].join(", or ")}`,
    )
    .join("; ");
}

function pathOf(prefix: string, instancePath: string): string {
  const path = [prefix, ...instancePath.split("/").filter(Boolean)].filter(Boolean).join(".");
  return path === "" ? "(root)" : path;
}

/** Size limit and JSON parsing, shared by every payload. */
export function parseJson(payload: Buffer | string): Result<unknown> {
  const bytes = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (bytes > MAX_PAYLOAD_BYTES) {
    return {
      ok: false,
      error: `payload is ${bytes} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes`,
    };
  }
  if (bytes === 0) return { ok: false, error: "payload is empty; expected a JSON object" };
  try {
    return { ok: true, value: JSON.parse(payload.toString()) as unknown };
  } catch (error) {
    return { ok: false, error: `payload is not JSON: ${(error as Error).message}` };
  }
}

function parser<T>(check: (value: unknown) => Result<T>) {
  return (payload: Buffer | string): Result<T> => {
    const parsed = parseJson(payload);
    return parsed.ok ? check(parsed.value) : parsed;
  };
}

const checkEnvelope = compile(EventEnvelopeSchema);
const checkEventData = Object.fromEntries(
  Object.entries(EVENT_DATA_SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)]),
) as Record<EventKind, ValidateFunction>;

/** Checks an event: the envelope first, then the data against its kind's schema. */
export function checkEvent(value: unknown): Result<DeviceEvent> {
  const envelope = checkEnvelope(value);
  if (!envelope.ok) return envelope;
  const check = checkEventData[envelope.value.kind];
  if (!check(envelope.value.data)) {
    return {
      ok: false,
      error: `${envelope.value.kind} event: ${describeErrors(check.errors ?? [], "data")}`,
    };
  }
  return { ok: true, value: envelope.value as DeviceEvent };
}

const anyUuid = new RegExp(ANY_UUID_PATTERN);

/**
 * Best-effort id of a payload that failed validation, so the sender can be
 * told: exactly as the sender spelt it (any spelling of a UUID), since that is
 * what its outbox knows the event by.
 */
export function eventIdOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" && anyUuid.test(id) ? id : null;
}

export const checkAvailability = compile(AvailabilitySchema);
export const checkState = compile(DeviceStateSchema);
export const checkAck = compile(EventAckSchema);
export const checkConfig = compile(DeviceConfigSchema);

const checkRequestEnvelope = compile(RequestEnvelopeSchema);
const checkResponseEnvelope = compile(ResponseEnvelopeSchema);
const checkOp = Object.fromEntries(
  Object.entries(REQUEST_SCHEMAS).map(([op, { args, data }]) => [
    op,
    { args: ajv.compile(args), data: ajv.compile(data) },
  ]),
) as Record<RequestOp, { args: ValidateFunction; data: ValidateFunction }>;

export function checkRequest<Op extends RequestOp>(
  op: Op,
  value: unknown,
): Result<DeviceRequest<Op>> {
  const envelope = checkRequestEnvelope(value);
  if (!envelope.ok) return envelope;
  const check = checkOp[op].args;
  return check(envelope.value.args)
    ? { ok: true, value: envelope.value }
    : { ok: false, error: `${op} request: ${describeErrors(check.errors ?? [], "args")}` };
}

export function checkResponse<Op extends RequestOp>(
  op: Op,
  value: unknown,
): Result<DeviceResponse<Op>> {
  const envelope = checkResponseEnvelope(value);
  if (!envelope.ok) return envelope;
  const { status, data, error } = envelope.value;
  if (status === "ok") {
    if (error !== null) return { ok: false, error: "error: must be null when status is 'ok'" };
    const check = checkOp[op].data;
    if (!check(data)) {
      return { ok: false, error: `${op} response: ${describeErrors(check.errors ?? [], "data")}` };
    }
  } else if (data !== null || error === null) {
    return { ok: false, error: "an error response has data null and an error message" };
  }
  return { ok: true, value: envelope.value as DeviceResponse<Op> };
}

/** Payload parsers: bytes off the wire to a checked value, or a precise error. */
export const parse = {
  availability: parser(checkAvailability),
  state: parser(checkState),
  event: parser(checkEvent),
  ack: parser(checkAck),
  config: parser(checkConfig),
  request: <Op extends RequestOp>(op: Op, payload: Buffer | string) =>
    parser((value) => checkRequest(op, value))(payload),
  response: <Op extends RequestOp>(op: Op, payload: Buffer | string) =>
    parser((value) => checkResponse(op, value))(payload),
} as const;

/**
 * Serialises a payload for sending after checking it against the same rule the
 * receiver applies, so neither side ever puts a payload on the wire that the
 * other must refuse. Throws with the reason when the payload is wrong.
 */
export function encode<T>(check: (value: unknown) => Result<T>, value: T): Buffer {
  const checked = check(value);
  if (!checked.ok) throw new TypeError(`refusing to send an invalid payload: ${checked.error}`);
  const bytes = Buffer.from(JSON.stringify(value));
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`payload is ${bytes.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  return bytes;
}
