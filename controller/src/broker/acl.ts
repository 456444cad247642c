/**
 * Who may do what on the broker, as pure functions of the device id and the
 * topic. A device publishes only its own device→controller topics and
 * subscribes only to its own controller→device topics, by exact name.
 */
import {
  CHANNEL_DIRECTION,
  checkAvailability,
  parseJson,
  parseTopic,
  topics,
} from "@classcam/protocol";

export type Decision = { allowed: true } | { allowed: false; reason: string };

const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

function commonTopicProblem(topic: string): string | null {
  if (topic.startsWith("$")) return `'${topic}' is a broker topic ($…); devices may not use them`;
  if (topic.includes("#") || topic.includes("+")) return `'${topic}' contains a wildcard`;
  return null;
}

export function canPublish(
  deviceId: string,
  packet: { topic: string; qos: number; retain: boolean },
): Decision {
  const problem = commonTopicProblem(packet.topic);
  if (problem !== null) return deny(problem);
  const parsed = parseTopic(packet.topic);
  if (parsed === null) return deny(`'${packet.topic}' is not a classcam topic`);
  if (parsed.deviceId !== deviceId) {
    return deny(`'${packet.topic}' belongs to device '${parsed.deviceId}'`);
  }
  if (CHANNEL_DIRECTION[parsed.channel] !== "up") {
    return deny(`'${packet.topic}' is a controller→device topic`);
  }
  if (parsed.channel === "events") {
    if (packet.qos < 1) return deny("events must be published with QoS 1");
    if (packet.retain) return deny("events must not be retained");
  }
  return allow;
}

export function canSubscribe(deviceId: string, filter: string): Decision {
  const problem = commonTopicProblem(filter);
  if (problem !== null) return deny(problem);
  const parsed = parseTopic(filter);
  if (parsed === null) return deny(`'${filter}' is not a classcam topic`);
  if (parsed.deviceId !== deviceId)
    return deny(`'${filter}' belongs to device '${parsed.deviceId}'`);
  if (CHANNEL_DIRECTION[parsed.channel] !== "down") {
    return deny(`'${filter}' is a device→controller topic`);
  }
  return allow;
}

/**
 * Whether any client could ever be sent a message on `topic`: devices
 * subscribe to their own controller→device topics only (`canSubscribe`), so a
 * retained message on any other topic (a box's state, its availability) would
 * be kept for no one. The broker keeps only these (retained.ts); what the
 * boxes report is kept in the database.
 */
export function isDeliverable(topic: string): boolean {
  const parsed = parseTopic(topic);
  return parsed !== null && CHANNEL_DIRECTION[parsed.channel] === "down";
}

/** Defence in depth: a message is only ever delivered within its device's own downstream. */
export function canReceive(deviceId: string, topic: string): boolean {
  const parsed = parseTopic(topic);
  return (
    parsed !== null && parsed.deviceId === deviceId && CHANNEL_DIRECTION[parsed.channel] === "down"
  );
}

/**
 * A device's Last Will must be its own availability, retained, saying
 * "offline" — nothing else, so it can never speak for another device.
 */
export function canLeaveWill(
  deviceId: string,
  will: { topic: string; payload: Buffer | string; retain?: boolean } | null | undefined,
): Decision {
  if (!will) return allow;
  const own = topics.availability(deviceId);
  if (will.topic !== own) return deny(`Last Will on '${will.topic}'; only '${own}' is allowed`);
  if (will.retain !== true) return deny("the Last Will must be retained");
  const parsed = parseJson(will.payload);
  const checked = parsed.ok ? checkAvailability(parsed.value) : parsed;
  if (!checked.ok) return deny(`Last Will payload: ${checked.error}`);
  if (checked.value.status !== "offline") return deny("the Last Will must say status 'offline'");
  return allow;
}
