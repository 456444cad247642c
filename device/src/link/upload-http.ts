/**
 * The uploader's HTTP side: kept-alive connections to the controller (one per
 * segment in flight, `http-lane.ts`), one exchange at a time on each, and the retry rule —
 * network failures, timeouts and the controller's 5xx/408/429 answers are
 * tried again with exponential backoff a bounded number of times; any other
 * refusal ends with the controller's own reason. HTTPS trusts only the CA
 * file when one is given (the school's own CA).
 */
import { readFileSync } from "node:fs";
import { HttpLane, type Answer } from "./http-lane.js";

export type { Answer } from "./http-lane.js";

/** An upload that could not be done; `transient` says whether asking again later may help. */
export class UploadFailed extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "UploadFailed";
  }
}

export interface ConnectionOptions {
  base: URL;
  token: string;
  caFile?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Connections kept open at once (one per segment in flight). */
  sockets: number;
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** A body goes on the wire in slices of this size, so progress (and an abort) come as it goes. */
const SEND_SLICE_BYTES = 256 * 1024;

function abortable(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `status message` of an answer, for error messages. */
export function describe(answer: Answer): string {
  const message =
    typeof answer.body === "object" && answer.body !== null && "message" in answer.body
      ? String(answer.body.message)
      : String(answer.body).slice(0, 300);
  return `${answer.status} ${message}`;
}

export class UploadConnection {
  private readonly ca: Buffer | undefined;
  private readonly authorization: string;
  private readonly basePath: string;
  private readonly lanes: HttpLane[] = [];
  /** Exchanges waiting for a lane (never more than the callers in flight). */
  private readonly waiting: ((lane: HttpLane) => void)[] = [];

  constructor(private readonly options: ConnectionOptions) {
    if (options.caFile !== undefined) {
      try {
        this.ca = readFileSync(options.caFile);
      } catch (error) {
        throw new UploadFailed(
          `cannot read the controller's CA file ${options.caFile}: ${(error as Error).message}`,
          null,
          false,
        );
      }
    }
    this.authorization = `Bearer ${options.token}`;
    this.basePath = options.base.pathname.replace(/\/$/, "");
  }

  /** The request path of `<base>/<path>` (on the controller's origin, as every exchange is). */
  at(path: string): string {
    return `${this.basePath}${path}` || "/";
  }

  close(): void {
    for (const lane of this.lanes) lane.close();
  }

  /**
   * One HTTP exchange; a network failure rejects, any answer resolves. A
   * body with `onSent` goes out in slices, `onSent` counting the bytes as
   * they are handed to the connection.
   */
  async exchange(
    method: string,
    path: string,
    headers: Record<string, string | number>,
    body: Buffer | null,
    onSent?: (bytes: number) => void,
  ): Promise<Answer> {
    const { signal } = this.options;
    const lane = await this.lane();
    try {
      return await lane.exchange(
        method,
        path,
        { authorization: this.authorization, ...headers },
        body,
        { signal, onSent, sliceBytes: SEND_SLICE_BYTES },
      );
    } finally {
      this.release(lane);
    }
  }

  /** An idle lane (an open one first), a new one while there are fewer than `sockets`, else the next freed. */
  private lane(): Promise<HttpLane> {
    const idle =
      this.lanes.find((lane) => !lane.busy && lane.open) ?? this.lanes.find((lane) => !lane.busy);
    let lane = idle;
    if (lane === undefined && this.lanes.length < this.options.sockets) {
      lane = new HttpLane({
        origin: this.options.base,
        ca: this.ca,
        timeoutMs: this.options.timeoutMs,
        maxAnswerBytes: MAX_ANSWER_BYTES,
      });
      this.lanes.push(lane);
    }
    if (lane !== undefined) {
      lane.busy = true;
      return Promise.resolve(lane);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(lane: HttpLane): void {
    const next = this.waiting.shift();
    if (next !== undefined) {
      lane.busy = true;
      next(lane);
    } else lane.busy = false;
  }

  /**
   * Runs one exchange until it is answered 2xx, trying transient failures
   * again. `judge` may say what a refusal means instead (e.g. that it is
   * worth another try after all).
   */
  async withRetries(
    what: string,
    run: () => Promise<Answer>,
    judge?: (answer: Answer) => UploadFailed | null,
  ): Promise<unknown> {
    const { signal, attempts, backoffMs, maxBackoffMs } = this.options;
    for (let attempt = 1; ; attempt += 1) {
      signal?.throwIfAborted();
      let failure: UploadFailed;
      try {
        const answer = await run();
        if (answer.status >= 200 && answer.status < 300) return answer.body;
        failure =
          judge?.(answer) ??
          new UploadFailed(
            `${what}: the controller answered ${describe(answer)}`,
            answer.status,
            TRANSIENT_STATUS.has(answer.status),
          );
      } catch (error) {
        if (signal?.aborted) throw signal.reason as Error;
        if (error instanceof UploadFailed) throw error;
        // a certificate the device does not trust will not be trusted on the next try either
        const { code } = error as { code?: unknown };
        const tls =
          typeof code === "string" &&
          /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/.test(code);
        failure = new UploadFailed(`${what}: ${(error as Error).message}`, null, !tls);
      }
      if (!failure.transient) throw failure;
      if (attempt >= attempts) {
        throw new UploadFailed(
          `${failure.message} (gave up after ${attempts} tries)`,
          failure.status,
          true,
        );
      }
      const wait = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      await abortable(wait / 2 + Math.random() * (wait / 2), signal);
    }
  }
}
