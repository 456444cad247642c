/**
 * A device identity on a real MQTT connection that sends one event at a time
 * and waits for the controller's application ack to name it: accepted, or
 * refused with the reason. Payloads go out exactly as given, so a test can
 * send what the real device never would.
 */
import { randomUUID } from "node:crypto";
import type { MqttClient } from "mqtt";
import {
  parse,
  topics,
  type DeviceEvent,
  type EventData,
  type EventKind,
} from "@classcam/protocol";
import { connectDevice, eventually, type TestController } from "./controller.js";

export type Outcome = { accepted: true } | { accepted: false; reason: string };

export interface AckedDevice {
  id: string;
  client: MqttClient;
  /** Sends a payload (an event, or any JSON) and resolves with what the ack said of `ackId`. */
  send: (payload: unknown, ackId?: string) => Promise<Outcome>;
  /** Builds an event of this device with a fresh id and the next sequence number. */
  event: <K extends EventKind>(kind: K, data: EventData<K>) => DeviceEvent;
}

export async function ackedDevice(
  t: { teardown: (fn: () => unknown) => void },
  controller: TestController,
  id: string,
): Promise<AckedDevice> {
  const secret = await controller.enrol(id);
  const client = await connectDevice(controller.url, id, secret);
  client.on("error", () => undefined);
  t.teardown(() => client.endAsync(true));
  const outcomes = new Map<string, Outcome>();
  client.on("message", (topic, payload) => {
    if (topic !== topics.ack(id)) return;
    const ack = parse.ack(payload);
    if (!ack.ok) throw new Error(`the controller sent a bad ack: ${ack.error}`);
    for (const eventId of ack.value.accepted) outcomes.set(eventId, { accepted: true });
    for (const { id: eventId, reason } of ack.value.rejected) {
      outcomes.set(eventId, { accepted: false, reason });
    }
  });
  await client.subscribeAsync(topics.ack(id), { qos: 1 });
  let seq = 0;
  return {
    id,
    client,
    send: async (payload, ackId) => {
      const eventId = ackId ?? (payload as { id: string }).id;
      outcomes.delete(eventId);
      await client.publishAsync(topics.events(id), JSON.stringify(payload), { qos: 1 });
      return eventually(() => outcomes.get(eventId), 10_000, `the ack of ${eventId} from ${id}`);
    },
    event: (kind, data) => {
      seq += 1;
      return { id: randomUUID(), seq, at: new Date().toISOString(), kind, data } as DeviceEvent;
    },
  };
}
