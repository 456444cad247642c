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
  if (!response.ok) throw await failure(response, path);
  const text = await response.text();
  let parsed: unknown = null;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return parsed as T;
}

/** The `ApiError` of an answer that is not 2xx (and the session's end, on a 401). */
async function failure(response: Response, path: string): Promise<ApiError> {
  const text = await response.text();
  let problem: { error?: unknown; message?: unknown } = {};
  try {
    problem = (JSON.parse(text) ?? {}) as typeof problem;
  } catch {
    /* not JSON: no words to show */
  }
  const retry = Number(response.headers.get("retry-after"));
  if (response.status === 401 && csrfToken !== null && !path.startsWith("/api/session")) {
    onSessionEnded?.();
  }
  return new ApiError(
    response.status,
    typeof problem.error === "string" ? problem.error : "",
    typeof problem.message === "string" ? problem.message : "",
    Number.isFinite(retry) && retry > 0 ? retry : null,
    path,
  );
}

/**
 * A change whose answer is a picture, not JSON (the live picture of a room):
 * its bytes, never cached by the browser; failures as `call` gives them.
 */
async function postForPicture(path: string): Promise<Blob> {
  const headers: Record<string, string> = { accept: "image/jpeg, application/json" };
  if (csrfToken !== null) headers["x-csrf-token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "unreachable", "", null, path);
  }
  if (!response.ok) throw await failure(response, path);
  return response.blob();
}

export const api = {
  get: <T>(path: string) => call<T>("GET", path),
  post: <T>(path: string, body: unknown = {}) => call<T>("POST", path, body),
  put: <T>(path: string, body: unknown) => call<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => call<T>("PATCH", path, body),
  delete: <T>(path: string) => call<T>("DELETE", path),
  picture: (path: string) => postForPicture(path),
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
