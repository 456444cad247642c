// The controller loads one copy of ajv (issue 21, peak RSS): the protocol's
// validators, ajv-formats and fastify's schema compiler and serializer all
// resolve the same package. With eslint's ajv 6 at the top of node_modules,
// npm gave each of the four its own copy of ajv 8, about 2.3 MB of heap at
// start; the root package.json names ajv 8 so that it is installed once.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import t from "tap";

const fromRoot = createRequire(import.meta.url);

/** The folder of the ajv that `user` (a package, or a file of the repo) loads. */
function ajvOf(user: string): string {
  const from = user.startsWith(".")
    ? fromRoot.resolve(user)
    : fromRoot.resolve(`${user}/package.json`);
  return dirname(createRequire(from).resolve("ajv/package.json"));
}

void t.test("every part of the controller that validates uses the same ajv", async (t) => {
  const fastify = dirname(fromRoot.resolve("fastify/package.json"));
  const fromFastify = createRequire(`${fastify}/package.json`);
  const users = {
    protocol: ajvOf("../../protocol/package.json"),
    "ajv-formats": ajvOf("ajv-formats"),
    "@fastify/ajv-compiler": dirname(
      createRequire(fromFastify.resolve("@fastify/ajv-compiler/package.json")).resolve(
        "ajv/package.json",
      ),
    ),
    "fast-json-stringify": dirname(
      createRequire(fromFastify.resolve("fast-json-stringify/package.json")).resolve(
        "ajv/package.json",
      ),
    ),
  };
  const copies = new Set(Object.values(users));
  t.equal(copies.size, 1, `one copy of ajv (each one's: ${JSON.stringify(users)})`);
  const version = (fromRoot(`${[...copies][0]}/package.json`) as { version: string }).version;
  t.match(version, /^8\./, "ajv 8, as all four ask for");
});
