/**
 * How a route plugin gets its types from its schemas. `typed(app)` is the app
 * seen through TypeBox's type provider: a route's `request.params`,
 * `request.query`, `request.body` and `request.headers` have the types of their
 * schemas (no casts), and what the handler returns or sends is checked against
 * its response schema. `typedRequests(app)` types the request the same way but
 * leaves the reply to the handler, for the few routes that send bytes their
 * schema only describes (JSON serialised ahead of time, a file stream).
 */
import type { FastifyInstance, FastifyRequest, FastifyTypeProvider } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Static, TSchema } from "@sinclair/typebox";

/** The app with its routes' requests and replies typed from their schemas. */
export const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();

/** TypeBox's provider for what a route takes; what it answers is the handler's to type. */
export interface TypedRequests extends FastifyTypeProvider {
  validator: this["schema"] extends TSchema ? Static<this["schema"]> : unknown;
  serializer: unknown;
}

/** The app with its routes' requests typed from their schemas, and their replies sent as they are. */
export const typedRequests = (app: FastifyInstance) => app.withTypeProvider<TypedRequests>();

/**
 * A path parameter, for a hook shared by several routes (a hook is not typed
 * by one route's schema); the routes' schemas have already checked it.
 */
export function pathParam(request: FastifyRequest, name: string): string {
  const params: unknown = request.params;
  const value: unknown =
    typeof params === "object" && params !== null
      ? (Object.getOwnPropertyDescriptor(params, name)?.value as unknown)
      : undefined;
  if (typeof value !== "string") throw new Error(`${request.url} has no path parameter '${name}'`);
  return value;
}
