/**
 * The error every failed device call gives: the C errno as a number and a
 * name, the system call (`open`, `mmap`, `VIDIOC_S_FMT`…) and the device path.
 */
import { constants } from "node:os";

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

export interface V4l2ErrorFields {
  /** Positive C errno (`os.constants.errno[code]`). */
  errno: number;
  /** Its name, e.g. `EINVAL`, `ENODEV`. */
  code: string;
  /** The call that failed, e.g. `open`, `mmap`, `VIDIOC_S_FMT`. */
  syscall: string;
  /** The device node. */
  path: string;
}

export class V4l2Error extends Error implements V4l2ErrorFields {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly path: string;

  constructor(fields: V4l2ErrorFields & { message?: string }) {
    super(fields.message ?? `${fields.syscall} ${fields.path}: ${fields.code}`);
    this.name = "V4l2Error";
    this.errno = fields.errno;
    this.code = fields.code;
    this.syscall = fields.syscall;
    this.path = fields.path;
  }

  /** An error for `code` (an errno name such as `EINVAL`), with the usual wording. */
  static of(code: string, syscall: string, path: string, detail?: string): V4l2Error {
    const errno = (constants.errno as Record<string, number | undefined>)[code] ?? 0;
    const text = detail ?? code;
    return new V4l2Error({
      errno,
      code,
      syscall,
      path,
      message: `${syscall} ${path}: ${text} (${code})`,
    });
  }

  /** The same error as a V4l2Error, when it carries errno, code, syscall and path (as the addon's do). */
  static from(error: unknown): unknown {
    if (error instanceof V4l2Error || !(error instanceof Error)) return error;
    const fields = error as Error & Partial<Record<keyof V4l2ErrorFields, unknown>>;
    if (
      typeof fields.errno === "number" &&
      typeof fields.syscall === "string" &&
      typeof fields.path === "string"
    ) {
      const code =
        typeof fields.code === "string" ? fields.code : (errnoNames.get(fields.errno) ?? "EIO");
      const converted = new V4l2Error({
        errno: fields.errno,
        code,
        syscall: fields.syscall,
        path: fields.path,
        message: error.message,
      });
      if (error.stack !== undefined) converted.stack = error.stack;
      return converted;
    }
    return error;
  }
}

/** The errno name for a positive errno number (`EIO` when unknown). */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? "EIO";
}
