/**
 * How aedes's encoder (mqtt-packet) writes packet ids. By default it makes,
 * at its first packet, a ready 2-byte Buffer for every id from 0 to 65535 and
 * keeps them for good: 65,536 Buffers, 6.3 MB of the heap of a controller
 * serving 1,000 boxes (heap snapshot, issue 21), to save one 2-byte allocation
 * per PUBACK. The broker turns that off before its first packet: each id is
 * written as it comes.
 */
import { createRequire } from "node:module";

interface PacketWriter {
  /** mqtt-packet's switch between the ready-made id Buffers and writing each id. */
  cacheNumbers: boolean;
}

/** The mqtt-packet that aedes itself loads (resolved from aedes, not from here). */
function aedesPacketWriter(): PacketWriter {
  const fromHere = createRequire(import.meta.url);
  const fromAedes = createRequire(fromHere.resolve("aedes"));
  return (fromAedes("mqtt-packet") as { writeToStream: PacketWriter }).writeToStream;
}

/** Packet ids are written as they come, without the 65,536 ready-made Buffers. */
export function writePacketIdsAsTheyCome(): void {
  aedesPacketWriter().cacheNumbers = false;
}
