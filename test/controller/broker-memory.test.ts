/**
 * What the broker keeps in memory beyond the work itself (issue 21, peak RSS).
 */
import { createRequire } from "node:module";
import t from "tap";
import { topics } from "@classcam/protocol";
import { connectDevice, startController } from "../helpers/controller.js";
import { makeEvent } from "../helpers/events.js";

/** The id Buffers that aedes's encoder (mqtt-packet) has made ready. */
function readyMadePacketIds(): number {
  const fromAedes = createRequire(createRequire(import.meta.url).resolve("aedes"));
  const { cache } = fromAedes("mqtt-packet/numbers.js") as { cache: Record<number, Buffer> };
  return Object.keys(cache).length;
}

void t.test(
  "packets ids are written as they come, not from 65,536 ready-made Buffers",
  async (t) => {
    const controller = await startController();
    t.teardown(() => controller.close());
    const secret = await controller.enrol("cam-ids");
    const device = await connectDevice(controller.url, "cam-ids", secret);
    t.teardown(() => device.endAsync());
    // QoS 1: each publish resolves on the broker's PUBACK carrying the same id
    for (let seq = 0; seq < 3; seq += 1) {
      await device.publishAsync(topics.events("cam-ids"), JSON.stringify(makeEvent(seq)), {
        qos: 1,
      });
    }
    t.pass("three publishes acknowledged by their ids");
    t.equal(readyMadePacketIds(), 0, "no ready-made id Buffers");
  },
);
