/**
 * Fastify's response serializers (fast-json-stringify), each built at the
 * route's first answer with that status instead of all at start. Built at
 * start, the controller's 159 serializers held 2.1 MB of generated source and
 * their compiled code for good in every controller (heap snapshot of an idle
 * controller, issue 21 peak RSS), most for answers a given school never gives
 * (its errors, its rare screens). Each is still built once and then reused,
 * from the same schema and options as fastify's own.
 */
import { createRequire } from "node:module";

/** What a route's answer is serialised with. */
export type Serializer = (document: unknown) => string;
/** What fastify hands the serializer compiler for a route and status. */
export interface RouteDefinition {
  method: string;
  url: string;
  httpStatus: string;
  schema?: unknown;
}
export type SerializerCompiler = (route: RouteDefinition) => Serializer;
export type SerializerFactory = (
  externalSchemas?: unknown,
  options?: unknown,
) => SerializerCompiler;

/** Fastify's own factory, from the copy fastify itself loads. */
function fastifySerializers(): SerializerFactory {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve("fastify"));
  const selector = fromFastify("@fastify/fast-json-stringify-compiler") as () => SerializerFactory;
  return selector();
}

/**
 * A serializer factory for fastify's `schemaController.compilersFactory`
 * whose serializers are built at their first use (`inner` is fastify's own).
 */
export function lazySerializers(
  inner: SerializerFactory = fastifySerializers(),
): SerializerFactory {
  return (externalSchemas, options) => {
    const compile = inner(externalSchemas, options);
    return (route) => {
      let serializer: Serializer | null = null;
      return (document) => {
        serializer ??= compile(route);
        return serializer(document);
      };
    };
  };
}
