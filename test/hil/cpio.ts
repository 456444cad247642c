/**
 * A writer for the `newc` cpio format, the one the Linux kernel unpacks as an
 * initramfs. Two archives written one after the other are read as one, so
 * each run of the rig appends its command to the cached base archive.
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export interface CpioEntry {
  /** Path inside the archive, without a leading slash. */
  path: string;
  kind: "directory" | "file" | "symlink";
  /** Permission bits, e.g. 0o755. */
  mode: number;
  /** File contents, or a symlink's target. */
  data?: Buffer | string;
}

const pad4 = (length: number) => (4 - (length % 4)) % 4;

function header(fields: number[]): string {
  return "070701" + fields.map((field) => field.toString(16).padStart(8, "0")).join("");
}

/** One archive holding `entries` in the order given (parents before children). */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  const push = (buffer: Buffer) => {
    parts.push(buffer);
    size += buffer.length;
  };
  const member = (name: string, mode: number, data: Buffer, inode: number) => {
    const nameBytes = Buffer.from(`${name}\0`);
    const fields = [inode, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
    const head = Buffer.from(header(fields), "ascii");
    push(head);
    push(nameBytes);
    push(Buffer.alloc(pad4(head.length + nameBytes.length)));
    push(data);
    push(Buffer.alloc(pad4(data.length)));
  };
  let inode = 1;
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, "");
    if (name === "") throw new Error("a cpio entry needs a path");
    const data =
      entry.data === undefined
        ? Buffer.alloc(0)
        : typeof entry.data === "string"
          ? Buffer.from(entry.data)
          : entry.data;
    switch (entry.kind) {
      case "directory":
        member(name, 0o040000 | entry.mode, Buffer.alloc(0), inode++);
        break;
      case "file":
        member(name, 0o100000 | entry.mode, data, inode++);
        break;
      case "symlink":
        member(name, 0o120000 | entry.mode, data, inode++);
        break;
    }
  }
  member("TRAILER!!!", 0, Buffer.alloc(0), 0);
  push(Buffer.alloc((512 - (size % 512)) % 512));
  return Buffer.concat(parts);
}

/** Every file, directory and symlink under `root`, parents first, as archive entries. */
export function entriesOf(root: string, prefix = ""): CpioEntry[] {
  const entries: CpioEntry[] = [];
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    const inside = prefix === "" ? name : `${prefix}/${name}`;
    const stat = lstatSync(path);
    if (stat.isDirectory()) {
      entries.push({ path: inside, kind: "directory", mode: stat.mode & 0o7777 });
      entries.push(...entriesOf(path, inside));
    } else if (stat.isSymbolicLink()) {
      entries.push({ path: inside, kind: "symlink", mode: 0o777, data: readlinkSync(path) });
    } else if (stat.isFile()) {
      entries.push({
        path: inside,
        kind: "file",
        mode: stat.mode & 0o7777,
        data: readFileSync(path),
      });
    } else {
      throw new Error(`${path}: only files, directories and symlinks can go into the initramfs`);
    }
  }
  return entries;
}
