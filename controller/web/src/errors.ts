/**
 * Every error from the API, in words a teacher understands — in this one
 * place. The API answers `{statusCode, error, message}`: `error` is a code
 * (`invalid`, `forbidden`, `conflict`…, or fastify's `FST_ERR_VALIDATION`
 * for a form field out of shape) and `message` the server's reason, already
 * in plain words for the school's rules ("the booking is in the past"). The
 * sentence shown leads with what kind of problem it is and ends with the
 * reason, tidied up; technical messages are replaced, never shown raw.
 */

export class ApiError extends Error {
  constructor(
    /** The HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** The API's error code. */
    readonly code: string,
    /** The server's own message. */
    readonly detail: string,
    /** Seconds to wait, for 429. */
    readonly retryAfter: number | null = null,
    /** The request's path, which some messages depend on. */
    readonly path = "",
  ) {
    super(detail);
    this.name = "ApiError";
  }

  /** The error in plain words, for the page. */
  get sentence(): string {
    return inPlainWords(this);
  }
}

/** What form fields are called on the page, by their API names. */
const FIELDS: Record<string, string> = {
  id: "user name",
  password: "password",
  current: "current password",
  next: "new password",
  displayName: "name",
  token: "set-up code",
  start: "start time",
  end: "end time",
  purpose: "purpose",
  deviceId: "room",
  staff: "staff in the recording",
  classCode: "class",
  mitigation: "way the do-not-record pupils are protected",
  note: "note",
  withId: "colleague",
  expiresAt: "expiry date",
  body: "comment",
  atSeconds: "time in the recording",
  reason: "reason",
  decision: "answer",
  press: "button press",
  // the school-management screens
  teacherId: "teacher",
  room: "room",
  status: "status",
  bufferDays: "days in the classroom box",
  archiveDays: "days kept footage is kept",
  maxMinutes: "longest booking",
  horizonDays: "days ahead bookings may be made",
  allowUnbookedRecording: "recording outside a booking",
  audioDefault: "sound for new bookings",
  doNotRecordClasses: "do-not-record list",
  masks: "privacy masks",
  x: "rectangle's distance from the left",
  y: "rectangle's distance from the top",
  width: "rectangle's width",
  height: "rectangle's height",
  // the staff import
  csv: "staff list file",
  mode: "choice of what to import",
};

/** A sentence: capital first letter, full stop at the end. */
function sentence(text: string): string {
  const trimmed = text.trim().replace(/[.;:,]+$/, "");
  if (trimmed === "") return "";
  return `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}.`;
}

/** fastify's schema messages ("body/start must match format "date-time"") in words. */
function fieldProblem(message: string): string {
  const problems = message.split(/,\s*(?=(?:body|querystring|params)\b)/).map((part) => {
    const required = /must have required property '([^']+)'/.exec(part);
    if (required?.[1] !== undefined) return `the ${FIELDS[required[1]] ?? required[1]} is missing`;
    const path = /^(?:body|querystring|params)\/?([\w/]*)/.exec(part)?.[1] ?? "";
    const field = path.split("/").findLast((segment) => !/^\d+$/.test(segment) && segment !== "");
    const name = field === undefined ? "form" : (FIELDS[field] ?? field);
    if (/fewer than|must NOT be shorter|minItems|fewer than \d+ items/.test(part)) {
      return `the ${name} is too short or empty`;
    }
    if (/more than|longer than/.test(part)) return `the ${name} is too long`;
    if (/format "date-time"/.test(part)) return `the ${name} is not a date and time`;
    const bounds = /must be a date and time from (\S+) to (\S+?),/.exec(part);
    if (bounds) return `the ${name} must be between ${bounds[1]} and ${bounds[2]}`;
    if (/must be (integer|number)|must be >=|must be <=/.test(part)) {
      return `the ${name} must be a number in range`;
    }
    if (/must be equal to one of the allowed values/.test(part)) {
      return `choose one of the offered ${name} options`;
    }
    if (/additional properties/.test(part)) return "the form sent something unexpected";
    return `the ${name} is not filled in correctly`;
  });
  return sentence([...new Set(problems)].join("; "));
}

/** The server's reason, unless it is not for people (ids, headers, internals). */
function reason(detail: string): string {
  if (/X-CSRF-Token|Authorization|Content-Type|uuid|POST |GET |PUT |\/api\//i.test(detail)) {
    return "";
  }
  if (/^no recording '/.test(detail)) return "This recording no longer exists.";
  return sentence(overlapsInWords(detail));
}

const clockTime = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });

/** "overlaps booking <id> (<start> – <end>) on this device" → "it overlaps another booking (09:00–09:50)". */
function overlapsInWords(detail: string): string {
  return detail.replace(
    /overlaps booking [0-9a-f-]{36} \((\S+) – ([^)]+)\) on this device/g,
    (whole, start: string, end: string) => {
      const from = new Date(start);
      const to = new Date(end);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return whole;
      return `it overlaps another booking in this room (${clockTime.format(from)}–${clockTime.format(to)})`;
    },
  );
}

export function inPlainWords(error: ApiError): string {
  const why = reason(error.detail);
  const and = (lead: string) => (why === "" ? lead : `${lead} ${why}`);
  if (error.status === 0) {
    return "The school's server cannot be reached. Check the network connection and try again.";
  }
  if (error.code === "FST_ERR_VALIDATION") {
    return `Please check what you entered. ${fieldProblem(error.detail)}`;
  }
  if (error.status === 429) {
    const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60));
    return `Too many attempts. Please wait ${minutes} minute${minutes === 1 ? "" : "s"} and try again.`;
  }
  if (error.code === "demo-box-unreachable") {
    return "The demo classroom box is not answering. Is the demo still running?";
  }
  switch (error.code) {
    case "unauthorised":
      if (error.path === "/api/session") {
        return "The user name or password is not right. Please try again.";
      }
      if (error.path === "/api/session/password") {
        return "The current password is not right. Please try again.";
      }
      return "You are not signed in, or your session has ended. Please sign in again.";
    case "forbidden":
      if (/X-CSRF-Token|cross-site/i.test(error.detail)) {
        return "This page is out of date. Please reload it and try again.";
      }
      if (/one-time password/.test(error.detail)) return "Please choose a new password first.";
      if (error.path === "/api/session/password" && /current password/.test(error.detail)) {
        return "The current password is not right. Please try again.";
      }
      return and("You are not allowed to do that.");
    case "invalid":
      return and("Please check what you entered.");
    case "not-found":
      return and("That could not be found.");
    case "conflict":
      // a name already in use is not a matter of waiting: say it is taken
      if (/\balready (enrolled|exists|taken|in use)\b|never reused/.test(error.detail)) {
        return and("That name is already taken.");
      }
      if (/\balready\b/.test(error.detail)) return and("That is already done.");
      return and("That cannot be done just now.");
    default:
      break;
  }
  if (error.status >= 500) {
    return "Something went wrong on the school's server. It has been logged; please try again in a moment.";
  }
  if (error.status >= 400) return and("That did not work.");
  return and("Something unexpected happened.");
}

/**
 * A limit checked on the page before sending, in the words the page would show
 * had the server refused it (`message` is the server's own, from form-limits.ts).
 */
export function refusedInWords(message: string): string {
  return inPlainWords(new ApiError(400, "invalid", message));
}

/** Any thrown thing in plain words (an ApiError, or a problem in the page itself). */
export function problemInWords(error: unknown): string {
  if (error instanceof ApiError) return error.sentence;
  return "Something went wrong on this page. Please reload it and try again.";
}
