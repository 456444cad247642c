/**
 * Caps the size of any MQTT packet before it is buffered. aedes would
 * otherwise read a packet of up to 256 MB into memory; a connection that
 * announces a packet over the limit is closed instead. Payload-level limits
 * (64 KiB, with a precise refusal) are applied later by validation.
 */
import type { Socket } from "node:net";

export class FrameSizeError extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`MQTT packet of ${size} bytes or more is over the ${limit}-byte limit`);
    this.name = "FrameSizeError";
  }
}

/** Follows the MQTT fixed headers through a byte stream, chunk by chunk. */
export class FrameSizeCounter {
  private state: "type" | "length" | "body" = "type";
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly limit: number) {}

  /** Returns the announced size of a packet over the limit, or null. */
  inspect(chunk: Uint8Array): number | null {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case "type":
          offset += 1;
          this.state = "length";
          this.length = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          break;
        case "length": {
          const byte = chunk[offset] ?? 0;
          offset += 1;
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes += 1;
          if (this.length > this.limit) return this.length;
          if ((byte & 0x80) === 0 || this.lengthBytes === 4) {
            this.remaining = this.length;
            this.state = this.remaining === 0 ? "type" : "body";
          }
          break;
        }
        case "body": {
          const take = Math.min(this.remaining, chunk.length - offset);
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = "type";
          break;
        }
      }
    }
    return null;
  }
}

/**
 * Guards a socket as aedes reads it: aedes takes bytes with `read()` when the
 * socket is readable (its client's `nextBatch`), so the guard wraps that
 * method on this socket. Each chunk is inspected before it is handed on; a
 * packet announced over the limit destroys the socket with a FrameSizeError,
 * and its bytes never reach the parser. What waits unread in the socket is
 * bounded by the socket's own high-water mark.
 *
 * This used to be a Duplex between the socket and aedes: a second stream per
 * connection that every packet went through both ways (issue 21: ~9 % of the
 * controller's main thread in node's streams during a 1,000-box reconnect, in
 * a --cpu-prof). What aedes writes under a cork now leaves through the
 * socket's own writev: one system call.
 */
export function guardFrames<S extends Socket>(socket: S, limit: number): S {
  const counter = new FrameSizeCounter(limit);
  const read = socket.read.bind(socket);
  socket.read = (size?: number): unknown => {
    const chunk = read(size) as Buffer | string | null;
    if (chunk === null || socket.destroyed) return null;
    const oversize = counter.inspect(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    if (oversize === null) return chunk;
    socket.destroy(new FrameSizeError(oversize, limit));
    return null;
  };
  return socket;
}
