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
/** Why `action` is not one of a command's `actions` (null: it is one). */
export function actionProblem(
  action: string | undefined,
  actions: readonly string[],
): string | null {
  if (action === undefined) {
    return `which command? ${actions.length === 1 ? (actions[0] ?? "") : `one of ${actions.join(", ")}`}`;
  }
  return actions.includes(action) ? null : `unknown command '${action}'`;
}

/** Why arguments left over after a command's own are refused (null: there are none). */
export function extraProblem(extra: readonly string[]): string | null {
  return extra.length > 0 ? `unexpected argument '${extra.join(" ")}'` : null;
}

export function usageError(io: Io, command: string, message: string): 2 {
  io.err(`classcam-controller ${command}: ${message}\nTry 'classcam-controller --help'.`);
  return 2;
}
