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
