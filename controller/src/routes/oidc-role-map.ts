/**
 * The administrator's map of the school's groups (or app roles) at its
 * identity provider to classcam roles (domain/oidc-role-map.ts): read it, and
 * replace it. The config file's `oidc.roleMap` is the map until the first
 * change here. Without `oidc` in the config both answer 404.
 */
import type { FastifyInstance } from "fastify";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { DomainError } from "../domain/errors.js";
import { MAX_GROUP_NAME, MAX_GROUPS, type OidcRoleMap } from "../domain/oidc-role-map.js";
import { allow, me } from "./auth.js";
import { answer, errors, Obj, Role, Timestamp, UserId } from "./schemas.js";
import { typed } from "./typed.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const RoleMapSchema = Obj({
  source: Type.Unsafe<"config" | "dashboard">({
    type: "string",
    enum: ["config", "dashboard"],
    description: "config: the config file's oidc.roleMap, not changed here yet",
  }),
  entries: Type.Array(
    Obj({
      group: Type.String({
        description: 'The group or app role as the claim holds it; "*": everyone',
      }),
      roles: Type.Array(Role),
      setBy: Nullable(
        Type.String({
          description: "Who gave it a role that sees footage (null: the config file)",
        }),
      ),
    }),
  ),
  changedAt: Nullable(Timestamp),
  changedBy: Nullable(UserId),
});
export type RoleMap = Static<typeof RoleMapSchema>;

export const RoleMapBody = Obj({
  entries: Type.Array(
    Obj({
      group: Type.String({ minLength: 1, maxLength: MAX_GROUP_NAME }),
      roles: Type.Array(Role, { maxItems: 10 }),
    }),
    { maxItems: MAX_GROUPS },
  ),
});

export function oidcRoleMapRoutes(fastify: FastifyInstance, roleMap: OidcRoleMap | null): void {
  const app = typed(fastify);
  const configured = (): OidcRoleMap => {
    if (roleMap === null) {
      throw new DomainError(
        "not-found",
        "sign-in with the school's identity provider is not set up on this controller " +
          "(the config has no oidc section), so there are no groups to map",
      );
    }
    return roleMap;
  };

  app.get(
    "/api/oidc/role-map",
    {
      onRequest: allow("admin"),
      schema: {
        tags: ["people"],
        operationId: "getProviderRoleMap",
        summary: "Which roles the identity provider's groups give",
        description:
          "The administrator: the map of the school's groups (or app roles) at its identity provider to classcam roles, read at every sign-in through the provider; the config file's until changed on the dashboard.",
        response: { 200: answer("The map in use", RoleMapSchema), ...errors(401, 403, 404) },
      },
    },
    async () => configured().current(),
  );

  app.put(
    "/api/oidc/role-map",
    {
      onRequest: allow("admin"),
      schema: {
        tags: ["people"],
        operationId: "setProviderRoleMap",
        summary: "Change which roles the identity provider's groups give",
        description:
          "The administrator: replaces the map of groups to roles; it applies at each person's next sign-in through the provider. A group given a role that sees footage does not give it to the administrator who gave it (another administrator or the headteacher must). Audited.",
        body: RoleMapBody,
        response: {
          200: answer("The map now in use", RoleMapSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => configured().set(request.body.entries, me(request).id),
  );
}
