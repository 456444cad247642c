/**
 * The shapes of the groups → roles map's routes (oidc-role-map.ts), shared
 * with the dashboard by `import type`.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { MAX_GROUP_NAME, MAX_GROUPS } from "../domain/oidc-role-map.js";
import { Obj, Role, Timestamp, UserId } from "./schemas.js";

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
