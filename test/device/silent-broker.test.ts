/**
 * A controller that stops answering (its PUBACKs never come: it hung, or the
 * network dropped as the box spoke) must not hold the box: the daemon still
 * stops, promptly, with nothing left running. A clean CI run once hung here,
 * the daemon's stop waiting on the PUBACK of a state published as the
 * controller went away.
 */
import t from "tap";
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import mqttPacket from "mqtt-packet";
import { boxDir, boxSettings, startBox, until } from "../helpers/device.js";

/** Accepts MQTT connections and subscriptions, takes every publish, acknowledges none. */
async function silentBroker() {
  const sockets = new Set<Socket>();
  const published: string[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (packet: mqttPacket.Packet) => socket.write(mqttPacket.generate(packet));
    parser.on("packet", (packet) => {
      if (packet.cmd === "connect") send({ cmd: "connack", returnCode: 0, sessionPresent: false });
      if (packet.cmd === "subscribe") {
        send({
          cmd: "suback",
          messageId: packet.messageId,
          granted: packet.subscriptions.map(() => 1),
        });
      }
      if (packet.cmd === "publish") published.push(packet.topic);
      // PUBACK: never
    });
    socket.on("data", (chunk: Buffer) => parser.parse(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    published,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

void t.test("a controller that never acknowledges does not hold the box's stop", async (t) => {
  const broker = await silentBroker();
  const dir = boxDir();
  t.teardown(async () => {
    await broker.close();
    dir.remove();
  });
  const box = await startBox(boxSettings("room-silent", "s".repeat(32), broker.url, dir.path));
  // the box speaks: availability, state (every second here), its start event; nothing is acked
  await until(
    () => broker.published.filter((topic) => topic.endsWith("/state")).length >= 2,
    "two states published",
  );
  const stopped = await Promise.race([
    box.stop().then(() => "stopped"),
    new Promise((resolve) => setTimeout(() => resolve("still stopping after 20 s"), 20_000)),
  ]);
  t.equal(stopped, "stopped", "the daemon stopped though no PUBACK ever came");
});
