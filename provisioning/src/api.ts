/**
 * The controller's HTTP API as IT uses it: sign in with an IT account (the
 * session cookie and CSRF token are kept in memory only), enrol a device
 * (its secret comes back once), rotate, retire, and list the fleet. Over
 * HTTPS the controller is trusted through the school CA given, nothing else.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

const SESSION_COOKIE = "classcam_session";

/** The controller refused, or could not be reached; the message is in words. */
export class ControllerError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or null when the controller was not reached. */
    readonly status: number | null,
  ) {
    super(message);
    this.name = "ControllerError";
  }
}

export interface FleetDevice {
  id: string;
  room: string;
  status: "active" | "disabled" | "retired";
  online: boolean;
  lastSeenAt: string | null;
  wipedAt?: string | null;
}

export type DeviceAction = "disable" | "enable" | "retire" | "rotate-secret";

export interface ControllerOptions {
  /** e.g. https://controller.school.local:8443 */
  url: string;
  /** PEM of the CA that signed the controller's HTTPS certificate (the school CA). */
  ca?: Buffer;
  /** Per request. */
  timeoutMs?: number;
}

interface Reply {
  status: number;
  body: unknown;
  cookies: Map<string, string>;
}

/** Words for a network error code. */
function networkProblem(error: NodeJS.ErrnoException, url: string): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return `nothing listens at ${url} (connection refused): is the controller running there?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the name in ${url} does not resolve (${error.code})`;
    case "ETIMEDOUT":
    case "ECONNRESET":
      return `${url} did not answer (${error.code})`;
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
      return `the controller's HTTPS certificate is not signed by the CA given with --ca (${error.code})`;
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `the controller's HTTPS certificate is not for the name in ${url}: ${error.message}`;
    case "CERT_HAS_EXPIRED":
      return "the controller's HTTPS certificate has expired";
    case undefined:
    default:
      return `cannot reach ${url}: ${error.message}`;
  }
}

export class ControllerClient {
  private session: string | null = null;
  private csrf: string | null = null;
  private readonly base: URL;

  constructor(private readonly options: ControllerOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new ControllerError(
        `'${options.url}' is not a URL (e.g. https://controller:8443)`,
        null,
      );
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new ControllerError(`'${options.url}' must start with http:// or https://`, null);
    }
    this.base = base;
  }

  get url(): string {
    return this.base.origin;
  }

  private send(method: string, path: string, body?: unknown): Promise<Reply> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: "application/json" };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    if (this.session !== null) headers.cookie = `${SESSION_COOKIE}=${this.session}`;
    if (this.csrf !== null && method !== "GET") headers["x-csrf-token"] = this.csrf;
    // the controller refuses a session's change without its own Origin, as a browser sends it
    if (method !== "GET") headers.origin = this.base.origin;
    const secure = url.protocol === "https:";
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<Reply>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          timeout: this.options.timeoutMs ?? 30_000,
          ...(secure && this.options.ca !== undefined && { ca: this.options.ca }),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text === "" ? null : JSON.parse(text);
            } catch {
              // not JSON: keep the text for the message
            }
            const cookies = new Map<string, string>();
            for (const line of res.headers["set-cookie"] ?? []) {
              const [pair = ""] = line.split(";");
              const at = pair.indexOf("=");
              if (at > 0) cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, cookies });
          });
        },
      );
      req.on("timeout", () => {
        req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        reject(new ControllerError(networkProblem(error, this.base.origin), null));
      });
      req.end(payload);
    });
  }

  /** The reply's body when it is a success, else a ControllerError with the controller's words. */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const reply = await this.send(method, path, body);
    if (reply.status >= 200 && reply.status < 300) return reply.body as T;
    const message =
      typeof reply.body === "object" && reply.body !== null && "message" in reply.body
        ? String(reply.body.message)
        : typeof reply.body === "string" && reply.body !== ""
          ? reply.body.slice(0, 300)
          : "no reason given";
    throw new ControllerError(
      `the controller refused: ${message} (HTTP ${reply.status})`,
      reply.status,
    );
  }

  /** Signs in; the session lives in this object only. */
  async signIn(user: string, password: string): Promise<{ roles: string[] }> {
    const reply = await this.send("POST", "/api/session", { id: user, password });
    if (reply.status !== 200) {
      const message =
        typeof reply.body === "object" && reply.body !== null && "message" in reply.body
          ? String(reply.body.message)
          : `HTTP ${reply.status}`;
      throw new ControllerError(`sign-in as '${user}' failed: ${message}`, reply.status);
    }
    const token = reply.cookies.get(SESSION_COOKIE);
    const session = reply.body as {
      csrfToken?: string;
      user?: { roles?: string[]; mustChangePassword?: boolean };
    };
    if (token === undefined || typeof session.csrfToken !== "string") {
      throw new ControllerError(
        "sign-in answered without a session: is this a classcam controller?",
        200,
      );
    }
    this.session = token;
    this.csrf = session.csrfToken;
    if (session.user?.mustChangePassword === true) {
      throw new ControllerError(
        `'${user}' still has a one-time password: sign in to the dashboard once and change it`,
        403,
      );
    }
    const roles = session.user?.roles ?? [];
    if (!roles.includes("it")) {
      throw new ControllerError(
        `'${user}' does not have the IT role (has: ${roles.join(", ") || "none"}); enrolling needs it`,
        403,
      );
    }
    return { roles };
  }

  /** Enrols a device; the secret is returned once and is never shown by the controller again. */
  enrol(
    id: string,
    room: string,
  ): Promise<{ device: FleetDevice; secret: string; sealingKey?: string }> {
    return this.call("POST", "/api/devices", { id, room });
  }

  act(
    id: string,
    action: DeviceAction,
  ): Promise<{ device: FleetDevice; secret?: string; sealingKey?: string }> {
    return this.call("POST", `/api/devices/${encodeURIComponent(id)}/${action}`);
  }

  /** Every device, retired ones included. */
  async devices(): Promise<FleetDevice[]> {
    const [current, retired] = await Promise.all([
      this.call<FleetDevice[]>("GET", "/api/devices"),
      this.call<FleetDevice[]>("GET", "/api/devices?status=retired"),
    ]);
    return [...current, ...retired];
  }

  async signOut(): Promise<void> {
    if (this.session === null) return;
    await this.send("DELETE", "/api/session").catch(() => undefined);
    this.session = null;
    this.csrf = null;
  }
}
