/**
 * Identifiers shared by both sides. A device id is also its MQTT client id and
 * username, and one level of every topic in its subtree, so it may only hold
 * characters that mean nothing to MQTT.
 */
export const DEVICE_ID_PATTERN = "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$";
const deviceIdRegExp = new RegExp(DEVICE_ID_PATTERN);

export function isDeviceId(value: unknown): value is string {
  return typeof value === "string" && deviceIdRegExp.test(value);
}

/** Why a string is not a device id, or null when it is one. */
export function deviceIdProblem(value: string): string | null {
  if (deviceIdRegExp.test(value)) return null;
  if (value.length === 0) return "a device id must not be empty";
  if (value.length > 64) return `a device id is at most 64 characters (got ${value.length})`;
  return (
    `'${value}' is not a device id: use lower-case letters, digits and hyphens, ` +
    "starting and ending with a letter or digit (e.g. 'room-12')"
  );
}

/**
 * A UUID as both sides write it: lower-case hex, no braces, no `urn:uuid:`
 * prefix (what `crypto.randomUUID()` makes). One spelling per id, so the
 * controller's exactly-once check on an id cannot be dodged by writing it
 * another way, and a recording has one id, not several.
 */
export const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
/** Any spelling of a UUID that RFC 9562 readers accept: either case, optional `urn:uuid:`. */
export const ANY_UUID_PATTERN =
  "^(?:[uU][rR][nN]:[uU][uU][iI][dD]:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const uuidRegExp = new RegExp(UUID_PATTERN);

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && uuidRegExp.test(value);
}

/** What a UUID in another spelling is refused with (after the field's name). */
export const UUID_PROBLEM =
  "must be a lower-case UUID, like 0b0e7c1e-6a4e-4f61-9d55-3a3b2f0f3c11 " +
  "(not upper case, not urn:uuid:…, no braces)";
