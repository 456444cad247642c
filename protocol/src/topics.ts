/**
 * The only place MQTT topics are spelled out. Every device has one subtree,
 * `classcam/v1/devices/<deviceId>/…`; `v1` is the protocol version.
 *
 * device → controller: availability (retained, also the Last Will), state
 * (retained), events (QoS 1), response/<op>.
 * controller → device: config (retained), ack (application acknowledgements of
 * events), request/<op>.
 */
import { deviceIdProblem, isDeviceId } from "./ids.js";

export const PROTOCOL_VERSION = "v1";
export const TOPIC_ROOT = `classcam/${PROTOCOL_VERSION}/devices`;

/**
 * Operations the controller may ask of a device (`request/<op>` → `response/<op>`).
 * `retire` is the notice a retired device gets when it connects: wipe the buffer.
 */
export const REQUEST_OPS = [
  "ping",
  "delete-recording",
  "upload-recording",
  "retire",
  "self-test",
] as const;
export type RequestOp = (typeof REQUEST_OPS)[number];

export function isRequestOp(value: string): value is RequestOp {
  return (REQUEST_OPS as readonly string[]).includes(value);
}

export type UpChannel = "availability" | "state" | "events" | "response";
export type DownChannel = "config" | "ack" | "request";
export type Channel = UpChannel | DownChannel;

/** Which way each channel flows: `up` is device → controller, `down` the reverse. */
export const CHANNEL_DIRECTION: Readonly<Record<Channel, "up" | "down">> = {
  availability: "up",
  state: "up",
  events: "up",
  response: "up",
  config: "down",
  ack: "down",
  request: "down",
};

function base(deviceId: string): string {
  const problem = deviceIdProblem(deviceId);
  if (problem !== null) throw new TypeError(problem);
  return `${TOPIC_ROOT}/${deviceId}`;
}

function opTopic(deviceId: string, kind: "request" | "response", op: RequestOp): string {
  if (!isRequestOp(op)) throw new TypeError(`unknown request op '${String(op)}'`);
  return `${base(deviceId)}/${kind}/${op}`;
}

export const topics = {
  availability: (deviceId: string): string => `${base(deviceId)}/availability`,
  state: (deviceId: string): string => `${base(deviceId)}/state`,
  events: (deviceId: string): string => `${base(deviceId)}/events`,
  response: (deviceId: string, op: RequestOp): string => opTopic(deviceId, "response", op),
  config: (deviceId: string): string => `${base(deviceId)}/config`,
  ack: (deviceId: string): string => `${base(deviceId)}/ack`,
  request: (deviceId: string, op: RequestOp): string => opTopic(deviceId, "request", op),
} as const;

/** Every topic a device subscribes to: explicit names, never a wildcard. */
export function deviceSubscriptions(deviceId: string): string[] {
  return [
    topics.config(deviceId),
    topics.ack(deviceId),
    ...REQUEST_OPS.map((op) => topics.request(deviceId, op)),
  ];
}

export type ParsedTopic =
  | { deviceId: string; channel: "availability" | "state" | "events" | "config" | "ack" }
  | { deviceId: string; channel: "request" | "response"; op: RequestOp };

/**
 * Reads a concrete topic name back into its parts; null when the topic is not
 * one of the protocol's (wrong root, unknown channel or op, extra levels, a bad
 * device id, or any wildcard).
 */
export function parseTopic(topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${TOPIC_ROOT}/`)) return null;
  const levels = topic.slice(TOPIC_ROOT.length + 1).split("/");
  const [deviceId, channel, op, ...rest] = levels;
  if (deviceId === undefined || !isDeviceId(deviceId) || rest.length > 0) return null;
  switch (channel) {
    case "availability":
    case "state":
    case "events":
    case "config":
    case "ack":
      return op === undefined ? { deviceId, channel } : null;
    case "request":
    case "response":
      return op !== undefined && isRequestOp(op) ? { deviceId, channel, op } : null;
    case undefined:
    default:
      return null;
  }
}
