/**
 * The broker's retained messages, indexed by topic. aedes's in-memory
 * persistence answers each new subscription by testing every retained message
 * against it, so when a fleet reconnects (1,000 boxes × 10 subscriptions ×
 * 3,000 retained state, availability and config messages) the broker spends
 * its time matching topics. A box subscribes to exact topic names only
 * (protocol's `deviceSubscriptions`), so an exact name is answered here with
 * one map lookup; a pattern with a wildcard still walks them all.
 *
 * Only messages on topics `keeps` accepts are retained: the broker is given
 * the ACL's `isDeliverable`, so a fleet's retained state reports (a thousand a
 * second, each rewriting the last) are not held for subscribers that cannot
 * exist (issue 21). Everything else (sessions, subscriptions, in-flight
 * packets, wills) stays aedes's own in-memory persistence.
 */
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import type { AedesPublishPacket as Packet } from "aedes";
import type { AedesMemoryPersistence } from "aedes-persistence";

type Callback = (error: Error | null | undefined) => void;

// a CommonJS module whose export is the factory itself
const memoryPersistence = createRequire(import.meta.url)(
  "aedes-persistence",
) as () => AedesMemoryPersistence;

/**
 * Whether an MQTT topic filter matches a topic name (MQTT 3.1.1 §4.7.1), as
 * aedes's own persistence matches retained topics: a leading wildcard matches
 * `$` topics there too (the ACL lets no client subscribe with one anyway).
 */
export function topicMatches(filter: string, topic: string): boolean {
  const wanted = filter.split("/");
  const levels = topic.split("/");
  for (let i = 0; i < wanted.length; i += 1) {
    const level = wanted[i];
    if (level === "#") return true;
    if (i >= levels.length) return false;
    if (level !== "+" && level !== levels[i]) return false;
  }
  return wanted.length === levels.length;
}

function hasWildcard(filter: string): boolean {
  return filter.includes("+") || filter.includes("#");
}

/** aedes's in-memory persistence with retained messages kept in a map by topic. */
export function indexedPersistence(
  keeps: (topic: string) => boolean = () => true,
): AedesMemoryPersistence {
  const persistence = memoryPersistence();
  const retained = new Map<string, Packet>();

  function* matching(filters: readonly string[]): Generator<Packet> {
    for (const filter of filters) {
      if (!hasWildcard(filter)) {
        const packet = retained.get(filter);
        if (packet !== undefined) yield packet;
        continue;
      }
      for (const [topic, packet] of retained) if (topicMatches(filter, topic)) yield packet;
    }
  }

  // aedes calls it without a callback and awaits the promise; the typings name the callback form
  const storeRetained = (packet: Packet, callback?: Callback): Promise<void> => {
    if (packet.payload.length === 0 || !keeps(packet.topic)) retained.delete(packet.topic);
    else retained.set(packet.topic, { ...packet });
    if (callback) process.nextTick(callback, null);
    return Promise.resolve();
  };
  Object.assign(persistence, {
    storeRetained,
    createRetainedStream: (filter: string) => Readable.from(matching([filter])),
    createRetainedStreamCombi: (filters: string[]) => Readable.from(matching(filters)),
  });
  return persistence;
}
