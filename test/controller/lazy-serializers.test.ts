/**
 * Response serializers are built at a route's first answer, once (issue 21:
 * built at start they held 2.1 MB of source in every controller).
 */
import t from "tap";
import {
  lazySerializers,
  type RouteDefinition,
  type SerializerFactory,
} from "../../controller/src/lazy-serializers.js";
import { startController } from "../helpers/controller.js";

void t.test("a serializer is built at its first use, and only once", (t) => {
  const built: string[] = [];
  const inner: SerializerFactory = () => (route: RouteDefinition) => {
    built.push(`${route.method} ${route.url} ${route.httpStatus}`);
    return (document) => JSON.stringify({ route: route.url, document });
  };
  const compile = lazySerializers(inner)({}, {});
  const serialise = compile({ method: "GET", url: "/x", httpStatus: "200", schema: {} });
  t.same(built, [], "nothing built before the first answer");
  t.equal(serialise({ a: 1 }), '{"route":"/x","document":{"a":1}}', "the route's own serializer");
  t.equal(serialise({ a: 2 }), '{"route":"/x","document":{"a":2}}');
  t.same(built, ["GET /x 200"], "built once");
  t.end();
});

void t.test("the controller answers through its response schemas", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const health = await controller.app.inject({ url: "/healthz" });
  t.equal(health.statusCode, 200);
  t.equal(health.headers["content-type"], "application/json; charset=utf-8");
  const missing = await controller.app.inject({ url: "/api/no-such-thing" });
  t.equal(missing.statusCode, 404);
  t.match(JSON.parse(missing.body), { statusCode: 404, error: "Not Found" });
});
