/**
 * The pass-through consumer of the broker-ingest bench's baseline run: on a
 * plain broker (Mosquitto) there is no controller to commit events and ack
 * them, so this process subscribes to every device's events and at once
 * publishes an ack for each to that device's ack topic — no validation, no
 * database. The devices then measure the same publish → ack round trip as
 * they do against the controller.
 */
import type { Socket } from "node:net";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { TOPIC_ROOT, eventIdOf, parseJson, parseTopic, topics } from "@classcam/protocol";
import { errorText, type ConsumerMessage } from "./shared.js";

function send(message: ConsumerMessage): void {
  if (process.send) process.send(message);
  else process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: "string" } }, strict: true });
  if (values.url === undefined)
    throw new Error("usage: passthrough-consumer.ts --url mqtt://HOST:PORT");
  const client = await mqtt.connectAsync(
    values.url,
    { clientId: "bench-passthrough", protocolVersion: 4, clean: true, reconnectPeriod: 0 },
    false,
  );
  // the consumer stands in for the controller, which acks from inside the broker: no Nagle delay
  const stream = client.stream as Partial<Socket>;
  stream.setNoDelay?.(true);
  client.on("message", (topic, payload) => {
    const parsed = parseTopic(topic);
    if (parsed?.channel !== "events") return;
    const json = parseJson(payload);
    const id = json.ok ? eventIdOf(json.value) : null;
    if (id === null) return;
    client.publish(
      topics.ack(parsed.deviceId),
      JSON.stringify({ accepted: [id], rejected: [] }),
      { qos: 1, retain: false },
      (error) => {
        if (error) process.stderr.write(`passthrough: ${error.message}\n`);
      },
    );
  });
  client.on("close", () => {
    process.exit(0);
  });
  await client.subscribeAsync(`${TOPIC_ROOT}/+/events`, { qos: 1 });
  send({ type: "ready" });
}

process.on("disconnect", () => {
  process.exit(0);
});

main().catch((error: unknown) => {
  process.stderr.write(`passthrough-consumer: ${errorText(error)}\n`);
  send({ type: "fatal", error: errorText(error) });
  process.exit(1);
});
