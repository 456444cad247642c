// The tests' knobs from the environment (soak counts, the random seed),
// checked: a value that is not a whole number stops the test with a message
// naming the variable, rather than running zero cycles or seeding with NaN.

/** The whole number `name` holds, at least `min`, or `fallback` when it is unset or empty. */
export function envInteger(name: string, fallback: number, min = 0): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(
      `${name} must be a whole number of at least ${min}, not ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** The seed of a randomised test: `CLASSCAM_TEST_SEED` to replay one, else from the clock. */
export function testSeed(): number {
  return envInteger("CLASSCAM_TEST_SEED", Date.now() % 1_000_000);
}
