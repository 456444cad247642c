/**
 * Caps the size of any MQTT packet before it is buffered. aedes would
 * otherwise read a packet of up to 256 MB into memory; a connection that
 * announces a packet over the limit is closed instead. Payload-level limits
 * (64 KiB, with a precise refusal) are applied later by validation.
 */
import { Duplex } from "node:stream";
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
 * The socket as aedes sees it: bytes pass through unchanged, but a packet
 * announced over the limit destroys the connection with a FrameSizeError.
 */
export class GuardedConnection extends Duplex {
  readonly remoteAddress: string | undefined;

  constructor(
    private readonly socket: Socket,
    limit: number,
  ) {
    super();
    this.remoteAddress = socket.remoteAddress;
    const counter = new FrameSizeCounter(limit);
    socket.on("data", (chunk: Buffer) => {
      const oversize = counter.inspect(chunk);
      if (oversize !== null) {
        this.destroy(new FrameSizeError(oversize, limit));
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on("end", () => this.push(null));
    socket.on("error", (error) => this.destroy(error));
    socket.on("close", () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.socket.write(chunk, done);
  }

  /**
   * What was written while the stream was corked, as one socket write:
   * mqtt-packet writes a packet in pieces (fixed header, length, body) under
   * a cork, and one system call per piece was the broker's largest cost
   * while acknowledging a fleet's state messages.
   */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    done: (error?: Error | null) => void,
  ): void {
    this.socket.write(Buffer.concat(chunks.map(({ chunk }) => chunk)), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.socket.end(done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.socket.destroy();
    done(error);
  }
}
