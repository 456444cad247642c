/**
 * The accounts: the staff directory anyone signed in may read, and the
 * administrators' routes to add people, change their roles or status, and
 * reset a password (the new one-time password is shown once), and add many
 * from the school's staff list as CSV (a preview of every bad line first).
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { answer, Obj, Role as RoleSchema, UserId, UserSchema, errors } from "./schemas.js";
import { typed } from "./typed.js";
import { StaffImport } from "../domain/staff-import.js";
import { staffReconcileRoutes } from "./staff-reconcile.js";
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
  staffReconcileRoutes(fastify);

  app.get(
    "/api/staff",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["people"],
        operationId: "listStaff",
        description:
          "Anyone signed in: the active staff, names and roles only, for choosing whom to book for or share with.",
        summary: "The staff directory: names and roles, for choosing whom to book or share with",
        response: {
          200: answer(
            "The staff directory",
            Type.Array(
              Obj({ id: UserId, displayName: Type.String(), roles: Type.Array(RoleSchema) }),
            ),
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
        operationId: "listUsers",
        description:
          "The administrator: every account, active or disabled, with its roles and last sign-in.",
        summary: "Every account",
        response: { 200: answer("The accounts", Type.Array(UserSchema)), ...errors(401, 403) },
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
        operationId: "addUser",
        description:
          "The administrator: adds an account with its roles. The answer carries a one-time password, shown this once, which the person must change when they first sign in. Roles that see footage need a second person: they are granted only by another administrator or the headteacher. Audited.",
        summary: "Add an account; its one-time password is shown once",
        body: Obj({
          id: UserId,
          displayName: Type.String({ minLength: 1, maxLength: 100 }),
          roles: Type.Array(RoleSchema, { maxItems: 8 }),
        }),
        response: {
          201: answer(
            "The account and its one-time password (shown once)",
            Obj({ user: UserSchema, temporaryPassword: Type.String() }),
          ),
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
        operationId: "changeUser",
        description:
          "The administrator: changes an account's name, roles or status. Changing roles or disabling the account ends its sessions; roles that see footage are granted only by another administrator or the headteacher. Audited.",
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
        response: {
          200: answer("The account as it now is", UserSchema),
          ...errors(400, 401, 403, 404, 409),
        },
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
        operationId: "resetPassword",
        description:
          "The administrator: gives an account a new one-time password, shown this once, and ends its sessions (audited).",
        summary: "Issue a new one-time password (shown once); the account's sessions end",
        params: Obj({ id: UserId }),
        response: {
          200: answer(
            "The new one-time password (shown once)",
            Obj({ temporaryPassword: Type.String() }),
          ),
          ...errors(401, 403, 404),
        },
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
        operationId: "previewStaffImport",
        description:
          "The administrator: reads a staff list exported as CSV and says, line by line, who would be added and what is wrong with each bad line, without adding anyone.",
        summary: "Check a staff list (CSV) without adding anyone: every bad line and why",
        body: StaffPreviewBody,
        response: {
          200: answer(
            "The preview: the good lines and every bad line with why",
            StaffPreviewSchema,
          ),
          ...errors(400, 401, 403, 413),
        },
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
        operationId: "importStaff",
        description:
          "The administrator: adds the people of a staff list exported as CSV, all or nothing or only the good lines; each new account gets a one-time password, shown once. Audited.",
        summary:
          "Add the people of a staff list (CSV): all or nothing, or only the good lines; " +
          "their one-time passwords are shown once",
        body: StaffImportBody,
        response: {
          201: answer(
            "The accounts added, with their one-time passwords, and the lines refused",
            StaffImportedSchema,
          ),
          ...errors(400, 401, 403, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const { csv, mode } = request.body;
      const actor = me(request).id;
      const told = (done: number, total: number) =>
        app.notices.publish({ topic: "staff-import", actor, done, total });
      return reply.code(201).send(await staffImport.run(csv, mode, actor, told));
    },
  );
}
