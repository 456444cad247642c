/**
 * The dashboard's files as the controller serves them: the page and its
 * bundle from memory, its source maps from disk when asked for (issue 21: they
 * are most of the bundle's bytes and were held in every controller's memory).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { DIST_DIR } from "../../controller/src/dashboard.js";
import { startController } from "../helpers/controller.js";

void t.test("the page, its script and its source map are served", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const page = await controller.app.inject({ url: "/" });
  t.equal(page.statusCode, 200, "the page");
  // the names from the page this controller serves (another build may be on disk by now)
  const scriptName = /src="\/(app-[A-Z0-9]{8}\.js)"/.exec(page.body)?.[1];
  if (scriptName === undefined) throw new Error(`no script in the page: ${page.body}`);
  const script = await controller.app.inject({ url: `/${scriptName}` });
  t.equal(script.statusCode, 200, "the script");
  t.same(script.rawPayload, await readFile(join(DIST_DIR, scriptName)), "as built");
  const mapName = `${scriptName}.map`;
  const map = await controller.app.inject({ url: `/${mapName}` });
  t.equal(map.statusCode, 200, "a source map");
  t.same(map.rawPayload, await readFile(join(DIST_DIR, mapName)), "read from the built file");
  t.ok(map.headers.etag, "with its etag");
  const again = await controller.app.inject({
    url: `/${mapName}`,
    headers: { "if-none-match": String(map.headers.etag) },
  });
  t.equal(again.statusCode, 304, "not sent again to a browser that has it");
});
