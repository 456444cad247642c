/**
 * The IT password: from CLASSCAM_PASSWORD, or asked on the terminal without
 * echo. Never from an argument (it would sit in the shell's history and in
 * every `ps` listing).
 */
import { openSync, closeSync } from "node:fs";
import { ReadStream, WriteStream } from "node:tty";

/** Asks for a password on the controlling terminal; null when there is none. */
export function askPassword(question: string): Promise<string | null> {
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync("/dev/tty", "r");
    outFd = openSync("/dev/tty", "w");
  } catch {
    return Promise.resolve(null);
  }
  const input = new ReadStream(inFd);
  const output = new WriteStream(outFd);
  return new Promise((resolve) => {
    let typed = "";
    const finish = (value: string | null) => {
      input.setRawMode(false);
      input.pause();
      output.write("\n");
      input.destroy();
      output.destroy();
      try {
        closeSync(inFd);
        closeSync(outFd);
      } catch {
        // closed with the streams
      }
      resolve(value);
    };
    output.write(question);
    input.setRawMode(true);
    input.on("data", (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n" || char === "\u0003" || char === "\u0004") {
          // Enter; Ctrl-C or Ctrl-D give up
          finish(char === "\r" || char === "\n" ? typed : null);
          return;
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    });
  });
}
