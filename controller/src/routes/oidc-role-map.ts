/**
 * The administrator's map of the school's groups (or app roles) at its
 * identity provider to classcam roles (domain/oidc-role-map.ts): read it, and
 * replace it. The config file's `oidc.roleMap` is the map until the first
 * change here. Without `oidc` in the config both answer 404.
 */
import type { FastifyInstance } from "fastify";
import { DomainError } from "../domain/errors.js";
import type { OidcRoleMap } from "../domain/oidc-role-map.js";
import { allow, me } from "./auth.js";
import { RoleMapBody, RoleMapSchema } from "./oidc-role-map-schemas.js";
import { answer, errors } from "./schemas.js";
import { typed } from "./typed.js";

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
