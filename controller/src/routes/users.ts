/**
 * The accounts: the staff directory anyone signed in may read, and the
 * administrators' routes to add people, change their roles or status, and
 * reset a password (the new one-time password is shown once), and add many
 * from the school's staff list as CSV (a preview of every bad line first).
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { Obj, Role as RoleSchema, UserId, UserSchema, errors } from "./schemas.js";
import { typed } from "./typed.js";
import { StaffImport } from "../domain/staff-import.js";
import {
  IMPORT_BODY_LIMIT,
  StaffImportBody,
  StaffImportedSchema,
  StaffPreviewBody,
  StaffPreviewSchema,
} from "./staff-schemas.js";

export function userRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const staffImport = new StaffImport(app.db, app.audit, app.now);

  app.get(
    "/api/staff",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["people"],
        summary: "The staff directory: names and roles, for choosing whom to book or share with",
        response: {
          200: Type.Array(
            Obj({ id: UserId, displayName: Type.String(), roles: Type.Array(RoleSchema) }),
          ),
          ...errors(401, 403),
        },
      },
    },
    async () =>
      (await app.people.list())
        .filter((user) => user.status === "active")
        .map(({ id, displayName, roles }) => ({ id, displayName, roles })),
  );

  app.get(
    "/api/users",
    {
      onRequest: allow("admin"),
      schema: {
        tags: ["people"],
        summary: "Every account",
        response: { 200: Type.Array(UserSchema), ...errors(401, 403) },
      },
    },
    () => app.people.list(),
  );

  app.post(
    "/api/users",
    {
      onRequest: allow("admin"),
      schema: {
        tags: ["people"],
        summary: "Add an account; its one-time password is shown once",
        body: Obj({
          id: UserId,
          displayName: Type.String({ minLength: 1, maxLength: 100 }),
          roles: Type.Array(RoleSchema, { maxItems: 8 }),
        }),
        response: {
          201: Obj({ user: UserSchema, temporaryPassword: Type.String() }),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      return reply.code(201).send(await app.people.add(request.body, me(request).id));
    },
  );

  app.patch(
    "/api/users/:id",
    {
      onRequest: allow("admin"),
      schema: {
        tags: ["people"],
        summary: "Change an account's name, roles or status (roles or disabling end its sessions)",
        params: Obj({ id: UserId }),
        body: Type.Partial(
          Obj({
            displayName: Type.String({ minLength: 1, maxLength: 100 }),
            roles: Type.Array(RoleSchema, { maxItems: 8 }),
            status: Type.Unsafe<"active" | "disabled">({
              type: "string",
              enum: ["active", "disabled"],
            }),
          }),
          { minProperties: 1 },
        ),
        response: { 200: UserSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      return app.people.update(request.params.id, request.body, me(request).id);
    },
  );

  app.post(
    "/api/users/:id/password-reset",
    {
      onRequest: allow("admin"),
      schema: {
        tags: ["people"],
        summary: "Issue a new one-time password (shown once); the account's sessions end",
        params: Obj({ id: UserId }),
        response: { 200: Obj({ temporaryPassword: Type.String() }), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      return { temporaryPassword: await app.people.resetPassword(id, me(request).id) };
    },
  );

  app.post(
    "/api/users/import/preview",
    {
      onRequest: allow("admin"),
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags: ["people"],
        summary: "Check a staff list (CSV) without adding anyone: every bad line and why",
        body: StaffPreviewBody,
        response: { 200: StaffPreviewSchema, ...errors(400, 401, 403, 413) },
      },
    },
    async (request) => staffImport.preview(request.body.csv, me(request).id),
  );

  app.post(
    "/api/users/import",
    {
      onRequest: allow("admin"),
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags: ["people"],
        summary:
          "Add the people of a staff list (CSV): all or nothing, or only the good lines; " +
          "their one-time passwords are shown once",
        body: StaffImportBody,
        response: { 201: StaffImportedSchema, ...errors(400, 401, 403, 409, 413) },
      },
    },
    async (request, reply) => {
      const { csv, mode } = request.body;
      return reply.code(201).send(await staffImport.run(csv, mode, me(request).id));
    },
  );
}
