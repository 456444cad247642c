/**
 * One kept-alive HTTP/1.1 connection to the controller, one exchange at a
 * time: the uploader's wire. It is written for the box rather than taken from
 * `node:http`, whose client runs a few thousand JavaScript steps per request
 * (agent, outgoing and incoming message streams, header objects): on the
 * box, where the daemon runs without the optimising compiler to save memory,
 * that was about 2 ms of CPU per segment, more than the bytes themselves
 * cost (`npm run bench:upload`). Here a request is one head string and the
 * body's slices written corked; the answer is read by status line, headers
 * and a `content-length` or chunked body, bounded in size.
 *
 * What the controller needs and no more: no `Expect`, no pipelining, no
 * redirects. A connection is used again only after a complete, well-framed
 * answer to a fully sent request that did not say `connection: close`; in
 * any other case it is closed and the next exchange opens a new one. HTTPS
 * verifies the certificate and host name as `node:https` does (against the
 * CA given, else the system's).
 */
import net from "node:net";
import tls from "node:tls";

export interface Answer {
  status: number;
  body: unknown;
}

export interface LaneOptions {
  /** The controller's origin (`http:` or `https:`); only host and port are used. */
  origin: URL;
  /** CA certificates to trust for HTTPS (only them); the system's when absent. */
  ca?: Buffer | undefined;
  /** How long an exchange may stay silent before it fails. */
  timeoutMs: number;
  /** Answers larger than this keep only this many bytes (for an error message). */
  maxAnswerBytes: number;
}

/** A failure of the connection or of the answer's framing (`code`: the system's, e.g. a TLS error's). */
export class LaneError extends Error {
  readonly code: string | undefined;
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "LaneError";
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === "string" ? code : undefined;
  }
}

const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from("\r\n\r\n");
/** Header values and paths may not break the request's lines. */
const UNSAFE = /[\r\n\0]/;

/** The state of reading one answer. */
interface Reading {
  head: { status: number; close: boolean } | null;
  /** Bytes of the body still to come (length framing), or chunked / until-close framing. */
  framing: { kind: "length"; left: number } | { kind: "chunked" } | { kind: "close" } | null;
  body: Buffer[];
  bodyBytes: number;
}

export class HttpLane {
  private socket: net.Socket | null = null;
  private pending: Buffer = Buffer.alloc(0);
  private reading: Reading | null = null;
  private settle: ((error: Error | null, answer?: Answer) => void) | null = null;
  /** Taken by an exchange, or waiting to be (kept by the lanes' owner, not here). */
  busy = false;

  constructor(private readonly options: LaneOptions) {}

  get open(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  /**
   * One request and its answer. `body` goes out in slices of `sliceBytes`,
   * `onSent` counting each as it is handed to the connection. A network
   * failure rejects (a `LaneError`); any answer resolves.
   */
  exchange(
    method: string,
    path: string,
    headers: Record<string, string | number>,
    body: Buffer | null,
    options: {
      signal?: AbortSignal | undefined;
      onSent?: ((bytes: number) => void) | undefined;
      sliceBytes: number;
    },
  ): Promise<Answer> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.settle !== null)
      return Promise.reject(new Error("an HTTP lane carries one exchange at a time"));
    let head: string;
    try {
      head = this.head(method, path, headers, body);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const socket = this.open ? (this.socket as net.Socket) : this.connect();
    this.pending = Buffer.alloc(0);
    this.reading = { head: null, framing: null, body: [], bodyBytes: 0 };
    let sentAll = false;
    return new Promise<Answer>((resolve, reject) => {
      const onAbort = () => finish(signal?.reason as Error);
      const finish = (error: Error | null, answer?: Answer) => {
        if (this.settle === null) return;
        this.settle = null;
        signal?.removeEventListener("abort", onAbort);
        const reading = this.reading;
        this.reading = null;
        // kept only after a whole answer to a whole request, framed by length or chunks
        const keep =
          error === null &&
          sentAll &&
          reading?.head?.close === false &&
          reading.framing?.kind !== "close" &&
          this.pending.length === 0;
        if (!keep) {
          socket.destroy();
          if (this.socket === socket) this.socket = null;
        }
        if (error === null) resolve(answer as Answer);
        else if (signal?.aborted === true) reject(error);
        else {
          reject(error instanceof LaneError ? error : new LaneError(error.message, error));
        }
      };
      this.settle = finish;
      signal?.addEventListener("abort", onAbort, { once: true });

      socket.cork();
      socket.write(head);
      if (body === null || body.length === 0) {
        socket.uncork();
        sentAll = true;
        return;
      }
      const send = async () => {
        for (let at = 0; at < body.length; at += options.sliceBytes) {
          if (this.settle !== finish) return; // answered early, failed or aborted
          const slice = body.subarray(at, at + options.sliceBytes);
          options.onSent?.(slice.length);
          // the last slice is not waited for: all is handed over, and the answer may come at once
          if (!socket.write(slice) && at + slice.length < body.length) {
            socket.uncork();
            await new Promise<void>((go) => {
              const on = () => {
                socket.off("drain", on).off("close", on);
                go();
              };
              socket.once("drain", on).once("close", on);
            });
            socket.cork();
          }
        }
        socket.uncork();
        if (this.settle === finish) sentAll = true;
      };
      void send();
    });
  }

  private head(
    method: string,
    path: string,
    headers: Record<string, string | number>,
    body: Buffer | null,
  ): string {
    const { origin } = this.options;
    let text = `${method} ${path} HTTP/1.1\r\nhost: ${origin.host}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      const line = `${name}: ${value}`;
      if (UNSAFE.test(line)) throw new LaneError(`the header ${name} holds a line break`);
      text += `${line}\r\n`;
    }
    if (UNSAFE.test(path) || path.includes(" ")) {
      throw new LaneError(`the path ${JSON.stringify(path)} cannot go in a request line`);
    }
    if (body !== null && !("content-length" in headers))
      text += `content-length: ${body.length}\r\n`;
    return `${text}\r\n`;
  }

  private connect(): net.Socket {
    const { origin, ca } = this.options;
    const secure = origin.protocol === "https:";
    const host = origin.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(origin.port || (secure ? 443 : 80));
    const socket = secure
      ? tls.connect({
          host,
          port,
          ...(net.isIP(host) === 0 && { servername: host }),
          ...(ca && { ca }),
          ALPNProtocols: ["http/1.1"],
        })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    this.socket = socket;
    // a connection given up is never heard again: its late events must not settle the next exchange
    const mine = () => this.socket === socket;
    socket.on("data", (chunk: Buffer) => {
      if (mine()) this.onData(chunk);
    });
    // silence for the timeout fails an exchange; an idle connection that long is let go
    socket.setTimeout(this.options.timeoutMs);
    socket.on("timeout", () => {
      if (!mine()) return;
      if (this.settle === null) this.close();
      else this.settle(new Error(`no answer within ${this.options.timeoutMs} ms`));
    });
    socket.on("error", (error: Error) => {
      if (mine()) this.settle?.(error);
    });
    socket.on("end", () => {
      if (mine()) this.onEnd();
    });
    socket.on("close", () => {
      if (!mine()) return;
      this.socket = null;
      this.settle?.(this.closedEarly());
    });
    return socket;
  }

  private onEnd(): void {
    const reading = this.reading;
    if (reading?.framing?.kind === "close" && reading.head !== null) {
      this.answer(reading);
      return;
    }
    this.settle?.(this.closedEarly());
  }

  private closedEarly(): Error {
    const what = this.reading?.head ? "its answer was whole" : "answering";
    return new Error(`the controller closed the connection before ${what}`);
  }

  private onData(chunk: Buffer): void {
    const reading = this.reading;
    if (reading === null) {
      // nothing was asked: an idle connection that talks is not used again
      this.socket?.destroy();
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.parse(reading);
    } catch (error) {
      this.settle?.(error as Error);
    }
  }

  private parse(reading: Reading): void {
    for (;;) {
      if (reading.head === null) {
        const end = this.pending.indexOf(CRLF2);
        if ((end < 0 ? this.pending.length : end) > MAX_HEAD_BYTES) {
          throw new LaneError(`the answer's headers exceed ${MAX_HEAD_BYTES} bytes`);
        }
        if (end < 0) return;
        const text = this.pending.toString("latin1", 0, end);
        this.pending = this.pending.subarray(end + 4);
        const parsed = parseHead(text);
        if (parsed.status < 200) continue; // 1xx: the real answer follows
        reading.head = { status: parsed.status, close: parsed.close };
        reading.framing = parsed.framing;
      }
      const framing = reading.framing;
      if (framing === null) return;
      if (framing.kind === "close") {
        this.take(reading, this.pending.length);
        return;
      }
      if (framing.kind === "length") {
        const n = Math.min(framing.left, this.pending.length);
        this.take(reading, n);
        framing.left -= n;
        if (framing.left === 0) this.answer(reading);
        return;
      }
      // chunked: size line, data, CRLF; a zero size ends it (trailers are read and dropped)
      const line = this.pending.indexOf("\r\n");
      if (line < 0) {
        if (this.pending.length > 1024) throw new LaneError("a chunk size line is too long");
        return;
      }
      const size = Number.parseInt(
        this.pending.toString("latin1", 0, line).split(";")[0] ?? "",
        16,
      );
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new LaneError("the answer's chunked body is malformed");
      }
      if (size === 0) {
        // the last chunk's line, any trailers, then an empty line
        const end = this.pending.indexOf(CRLF2, line);
        if (end < 0) return;
        this.pending = this.pending.subarray(end + 4);
        this.answer(reading);
        return;
      }
      if (size > this.options.maxAnswerBytes) {
        throw new LaneError(
          `a chunk of the answer is larger than ${this.options.maxAnswerBytes} bytes`,
        );
      }
      if (this.pending.length < line + 2 + size + 2) return;
      if (this.pending[line + 2 + size] !== 13 || this.pending[line + 3 + size] !== 10) {
        throw new LaneError("the answer's chunked body is malformed");
      }
      this.pending = this.pending.subarray(line + 2);
      this.take(reading, size);
      this.pending = this.pending.subarray(2);
    }
  }

  /** Moves `n` bytes of `pending` into the body (beyond the bound only counted). */
  private take(reading: Reading, n: number): void {
    if (n === 0) return;
    const room = this.options.maxAnswerBytes - reading.bodyBytes;
    if (room > 0) reading.body.push(this.pending.subarray(0, Math.min(n, room)));
    reading.bodyBytes += n;
    this.pending = this.pending.subarray(n);
  }

  private answer(reading: Reading): void {
    const text = Buffer.concat(reading.body).toString("utf8");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: kept as text for the error message */
    }
    this.settle?.(null, { status: reading.head?.status ?? 0, body });
  }
}

function parseHead(text: string): {
  status: number;
  close: boolean;
  framing: NonNullable<Reading["framing"]>;
} {
  const lines = text.split("\r\n");
  const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? "");
  if (status === null) {
    throw new LaneError(
      `the controller's answer is not HTTP/1.x: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`,
    );
  }
  let length: number | null = null;
  let chunked = false;
  let close = status[1] === "0";
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] ?? "";
    const colon = line.indexOf(":");
    if (colon <= 0) throw new LaneError(`a header line of the answer is malformed`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === "content-length") {
      const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
      if (Number.isNaN(n) || (length !== null && length !== n)) {
        throw new LaneError(`the answer's content-length ${JSON.stringify(value)} is not valid`);
      }
      length = n;
    } else if (name === "transfer-encoding") {
      chunked = value.split(",").some((coding) => coding.trim() === "chunked");
    } else if (name === "connection") {
      const tokens = value.split(",").map((token) => token.trim());
      if (tokens.includes("close")) close = true;
      else if (tokens.includes("keep-alive")) close = false;
    }
  }
  const code = Number(status[2]);
  const framing: NonNullable<Reading["framing"]> =
    code === 204 || code === 304
      ? { kind: "length", left: 0 }
      : chunked
        ? { kind: "chunked" }
        : length !== null
          ? { kind: "length", left: length }
          : { kind: "close" };
  return { status: code, close, framing };
}
