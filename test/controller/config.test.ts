import t from "tap";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "@classcam/controller";
import { tempDir } from "../helpers/controller.js";

const problemsOf = (fn: () => unknown): readonly string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

void t.test("defaults alone make a valid configuration", async (t) => {
  const config = loadConfig({ env: {}, cwd: "/srv/classcam" });
  t.equal(config.dataDir, "/srv/classcam/data/controller", "the data folder is resolved");
  t.same(config.mqtt, DEFAULT_CONFIG.mqtt);
});

void t.test("the file overrides the defaults and the environment overrides the file", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const file = join(dir.path, "controller.json");
  writeFileSync(file, JSON.stringify({ mqtt: { port: 1884 }, http: { port: 9000 } }));
  const config = loadConfig({
    file,
    env: { CLASSCAM_HTTP_PORT: "9001", CLASSCAM_LOG_LEVEL: "debug" },
    cwd: dir.path,
  });
  t.equal(config.mqtt.port, 1884);
  t.equal(config.mqtt.host, "0.0.0.0", "unset keys keep their defaults");
  t.equal(config.http.port, 9001);
  t.equal(config.log.level, "debug");
  t.equal(
    loadConfig({ env: { CLASSCAM_CONFIG: file }, cwd: dir.path }).mqtt.port,
    1884,
    "CLASSCAM_CONFIG names the file",
  );
});

void t.test("every problem is listed at once, each saying where it came from", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const file = join(dir.path, "controller.json");
  writeFileSync(file, JSON.stringify({ mqtt: { port: 70000, tls: { port: 8883 } }, htpp: {} }));
  const problems = problemsOf(() =>
    loadConfig({
      file,
      env: { CLASSCAM_HTTP_PORT: "eighty", CLASSCAM_LOG_LEVEL: "chatty" },
      cwd: dir.path,
    }),
  );
  t.same(
    [...problems].sort(),
    [
      "(root): unknown property 'htpp'",
      "CLASSCAM_HTTP_PORT: must be a whole number (got 'eighty')",
      'CLASSCAM_LOG_LEVEL: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (sets log.level)',
      "mqtt.port: must be <= 65535",
      "mqtt.tls.certFile: is required",
      "mqtt.tls.keyFile: is required",
    ].sort(),
  );
});

void t.test("an unreadable or malformed file is a clear error", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  t.match(
    problemsOf(() => loadConfig({ file: join(dir.path, "missing.json"), env: {} })),
    [/missing.json: ENOENT/],
  );
  const bad = join(dir.path, "bad.json");
  writeFileSync(bad, "{ mqtt: ");
  t.match(
    problemsOf(() => loadConfig({ file: bad, env: {} })),
    [/bad.json: .*JSON/],
  );
  writeFileSync(bad, "[1, 2]");
  t.match(
    problemsOf(() => loadConfig({ file: bad, env: {} })),
    [/must hold a JSON object/],
  );
});
