/**
 * The controller's HTTP API from the page: JSON in and out, the session
 * cookie sent by the browser, the session's CSRF token in `X-CSRF-Token` on
 * every change. Failures become `ApiError`s (see `errors.ts` for their
 * words). A 401 from a signed-in page tells the app the session is over.
 */
import { ApiError } from "./errors.js";

let csrfToken: string | null = null;
let onSessionEnded: (() => void) | null = null;

/** The token to send with changes (from the session), or null when signed out. */
export function useCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says nobody is signed in any more. */
export function whenSessionEnds(listener: () => void): void {
  onSessionEnded = listener;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

async function call<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken !== null) headers["x-csrf-token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, "unreachable", "", null, path);
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    const problem = (parsed ?? {}) as { error?: unknown; message?: unknown };
    const retry = Number(response.headers.get("retry-after"));
    const error = new ApiError(
      response.status,
      typeof problem.error === "string" ? problem.error : "",
      typeof problem.message === "string" ? problem.message : "",
      Number.isFinite(retry) && retry > 0 ? retry : null,
      path,
    );
    if (response.status === 401 && csrfToken !== null && !path.startsWith("/api/session")) {
      onSessionEnded?.();
    }
    throw error;
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => call<T>("GET", path),
  post: <T>(path: string, body: unknown = {}) => call<T>("POST", path, body),
  put: <T>(path: string, body: unknown) => call<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => call<T>("PATCH", path, body),
  delete: <T>(path: string) => call<T>("DELETE", path),
};

/** A query string from the values given (undefined ones left out). */
export function query(values: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}
