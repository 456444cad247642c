// The broker's retained messages indexed by topic (controller/src/broker/retained.ts)
// answer every subscription exactly as aedes's own in-memory persistence does.
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import t from "tap";
import type { AedesPublishPacket } from "aedes";
import type { AedesMemoryPersistence } from "aedes-persistence";
import { indexedPersistence, topicMatches } from "../../controller/src/broker/retained.js";

const aedesOwn = createRequire(import.meta.url)(
  "aedes-persistence",
) as () => AedesMemoryPersistence;

function packet(topic: string, payload: string): AedesPublishPacket {
  return {
    cmd: "publish",
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: true,
    dup: false,
    brokerId: "test",
    brokerCounter: 1,
  };
}

async function topicsOf(stream: Readable): Promise<string[]> {
  const seen: string[] = [];
  for await (const item of stream)
    seen.push(
      `${(item as AedesPublishPacket).topic}=${String((item as AedesPublishPacket).payload)}`,
    );
  return seen.sort();
}

async function store(persistence: AedesMemoryPersistence, item: AedesPublishPacket): Promise<void> {
  // aedes awaits the promise form (no callback)
  await (persistence.storeRetained as unknown as (p: AedesPublishPacket) => Promise<void>)(item);
}

void t.test("topic filters match as MQTT says (and aedes with $ topics)", async (t) => {
  const cases: [string, string, boolean][] = [
    ["a/b", "a/b", true],
    ["a/b", "a/c", false],
    ["a/+", "a/b", true],
    ["a/+", "a/b/c", false],
    ["a/#", "a", true],
    ["a/#", "a/b/c", true],
    ["#", "a/b", true],
    ["+/b", "a/b", true],
    ["+", "$SYS", true], // as aedes's own persistence has it
    ["#", "$SYS/x", true],
    ["$SYS/#", "$SYS/x", true],
    ["a/+/c", "a//c", true],
    ["a/b/c", "a/b", false],
  ];
  for (const [filter, topic, expected] of cases)
    t.equal(topicMatches(filter, topic), expected, `${filter} ~ ${topic}`);
});

void t.test("retained messages are answered as aedes's own persistence answers them", async (t) => {
  const ours = indexedPersistence();
  const theirs = aedesOwn();
  const devices = ["box-1", "box-2", "box-3"];
  const messages = [
    ...devices.flatMap((id) => [
      packet(`classcam/v1/devices/${id}/state`, `${id} state`),
      packet(`classcam/v1/devices/${id}/availability`, "online"),
      packet(`classcam/v1/devices/${id}/config`, `${id} config`),
    ]),
    packet("classcam/v1/devices/box-1/state", "box-1 newer state"),
    packet("classcam/v1/devices/box-2/config", ""), // an empty payload removes it
    packet("$SYS/broker/uptime", "1"),
  ];
  for (const item of messages) {
    await store(ours, item);
    await store(theirs, item);
  }
  const filters = [
    "classcam/v1/devices/box-1/config",
    "classcam/v1/devices/box-2/config",
    "classcam/v1/devices/box-1/state",
    "classcam/v1/devices/box-9/config",
    "classcam/v1/devices/+/state",
    "classcam/v1/devices/box-3/#",
    "#",
    "$SYS/#",
  ];
  for (const filter of filters)
    t.same(
      await topicsOf(ours.createRetainedStream(filter)),
      await topicsOf(theirs.createRetainedStream(filter)),
      `subscribing to ${filter}`,
    );
  t.same(
    await topicsOf(ours.createRetainedStreamCombi(filters.slice(0, 4))),
    await topicsOf(theirs.createRetainedStreamCombi(filters.slice(0, 4))),
    "several filters at once",
  );
  t.same(
    await topicsOf(ours.createRetainedStream("classcam/v1/devices/box-1/state")),
    ["classcam/v1/devices/box-1/state=box-1 newer state"],
    "the newest retained message of a topic, once",
  );
  t.same(
    await topicsOf(ours.createRetainedStream("classcam/v1/devices/box-2/config")),
    [],
    "an empty retained payload removed it",
  );
});

void t.test("only the topics it is told to keep are retained", async (t) => {
  const kept = indexedPersistence((topic) => topic.endsWith("/config"));
  const config = "classcam/v1/devices/box-1/config";
  const state = "classcam/v1/devices/box-1/state";
  await store(kept, packet(config, "config"));
  await store(kept, packet(state, "a state no one can subscribe to"));
  await store(kept, packet(state, "")); // clearing what was never kept is no error
  t.same(await topicsOf(kept.createRetainedStream("#")), [`${config}=config`], "the config alone");
  t.same(await topicsOf(kept.createRetainedStream(state)), [], "no state by its exact name");
  t.same(
    await topicsOf(kept.createRetainedStreamCombi([config, state])),
    [`${config}=config`],
    "nor among several filters",
  );
});
