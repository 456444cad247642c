/** Where a `classcam-controller` command writes: stdout and stderr, or a test's lines. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Says what is wrong with a command's arguments and where to look; returns the exit code, 2. */
export function usageError(io: Io, command: string, message: string): 2 {
  io.err(`classcam-controller ${command}: ${message}\nTry 'classcam-controller --help'.`);
  return 2;
}
