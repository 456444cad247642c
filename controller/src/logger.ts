import { pino, type Logger } from "pino";

/** JSON lines to stdout; journald (or the terminal) does the rest. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "classcam-controller" } });
}
