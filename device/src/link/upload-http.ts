/**
 * The uploader's HTTP side: kept-alive connections to the controller (one per
 * segment in flight), one exchange at a time on each, and the retry rule —
 * network failures, timeouts and the controller's 5xx/408/429 answers are
 * tried again with exponential backoff a bounded number of times; any other
 * refusal ends with the controller's own reason. HTTPS trusts only the CA
 * file when one is given (the school's own CA).
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

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

export interface Answer {
  status: number;
  body: unknown;
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
  agent?: http.Agent | undefined;
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
  private readonly agent: http.Agent;
  private readonly ownAgent: boolean;
  private readonly ca: Buffer | undefined;
  private readonly authorization: string;

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
    const ca = this.ca;
    this.ownAgent = options.agent === undefined;
    const keep = { keepAlive: true, maxSockets: options.sockets };
    this.agent =
      options.agent ??
      (options.base.protocol === "https:"
        ? new https.Agent({ ...keep, ...(ca && { ca }) })
        : new http.Agent(keep));
    this.authorization = `Bearer ${options.token}`;
  }

  /** `<base>/<path>`. */
  at(path: string): URL {
    const { base } = this.options;
    return new URL(`${base.pathname.replace(/\/$/, "")}${path}`, base);
  }

  close(): void {
    if (this.ownAgent) this.agent.destroy();
  }

  /**
   * One HTTP exchange; a network failure rejects, any answer resolves. A
   * body with `onSent` goes out in slices, `onSent` counting the bytes as
   * they are handed to the connection.
   */
  exchange(
    method: string,
    target: URL,
    headers: Record<string, string | number>,
    body: Buffer | null,
    onSent?: (bytes: number) => void,
  ): Promise<Answer> {
    const { signal, timeoutMs } = this.options;
    const ca = this.ca;
    return new Promise<Answer>((resolve, reject) => {
      const transport = target.protocol === "https:" ? https : http;
      const request = transport.request(
        target,
        {
          method,
          agent: this.agent,
          headers: { authorization: this.authorization, ...headers },
          timeout: timeoutMs,
          ...(signal && { signal }),
          ...(ca && { ca }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
          });
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* not JSON: keep the text for the error message */
            }
            resolve({ status: response.statusCode ?? 0, body: parsed });
          });
        },
      );
      request.on("timeout", () => {
        request.destroy(new Error(`no answer within ${timeoutMs} ms`));
      });
      request.on("error", reject);
      if (body === null) request.end();
      else if (onSent === undefined) request.end(body);
      else {
        const send = async () => {
          for (let at = 0; at < body.length; at += SEND_SLICE_BYTES) {
            const slice = body.subarray(at, at + SEND_SLICE_BYTES);
            onSent(slice.length);
            if (!request.write(slice)) {
              // a request that fails, is aborted or is answered early closes instead: its
              // error or answer settles the exchange
              await new Promise<void>((resolve) => {
                const go = () => {
                  request.off("drain", go).off("close", go);
                  resolve();
                };
                request.once("drain", go).once("close", go);
              });
              if (request.destroyed) return;
            }
          }
          request.end();
        };
        send().catch((error: unknown) => {
          request.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        });
      }
    });
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
