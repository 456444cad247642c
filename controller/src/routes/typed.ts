/**
 * How a route plugin gets typed requests: `typed(app)` is the app seen through
 * a TypeBox type provider, so a route's `request.params`, `request.query`,
 * `request.body` and `request.headers` have the types of their schemas (no
 * casts). Replies are held to their response schemas when they are sent
 * (fastify serialises through them), not by the type checker: the domain
 * hands out readonly arrays, which a TypeBox `Type.Array` types as mutable.
 */
import type { FastifyInstance, FastifyTypeProvider } from "fastify";
import type { Static, TSchema } from "@sinclair/typebox";

/** TypeBox's provider for what a route takes; what it answers stays as the handler types it. */
export interface TypedRequests extends FastifyTypeProvider {
  validator: this["schema"] extends TSchema ? Static<this["schema"]> : unknown;
  serializer: unknown;
}

/** The app with its routes' params, query, body and headers typed from their schemas. */
export const typed = (app: FastifyInstance) => app.withTypeProvider<TypedRequests>();

/** The app as a route plugin sees it through `typed()`. */
export type TypedApp = ReturnType<typeof typed>;
