/**
 * The demo's simulated classroom box, through the controller: its lamp and
 * its record button, for the dashboard's demo panel. The sim box serves its
 * panel on its own port (`device/src/hw/sim/panel.ts`); these routes pass
 * through to it so the dashboard stays on one origin under its strict CSP.
 * Outside the demo (no panel URL) they answer 404.
 *
 * `app.demoPanel.url` is set from `BuildOptions.demoPanelUrl`, or later (a
 * test sets it once its box is listening).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { Type } from "@sinclair/typebox";
import { DomainError } from "../domain/errors.js";
import { ANYONE, allow } from "./auth.js";
import { openEventStream } from "./live.js";
import { answer, DemoLampSchema, errors, Obj, OneOf } from "./schemas.js";
import { typedRequests } from "./typed.js";

export interface DemoOptions {
  panelUrl: string | null;
}

const PANEL_TIMEOUT_MS = 5000;

function unreachable(reply: FastifyReply, why: string) {
  return reply.code(502).send({
    statusCode: 502,
    error: "demo-box-unreachable",
    message: `the simulated classroom box is not answering (${why})`,
  });
}

export function demoRoutes(fastify: FastifyInstance, options: DemoOptions): void {
  // it relays the simulated panel's answers, which the response schemas check as they are sent
  const app = typedRequests(fastify);
  const demoPanel = { url: options.panelUrl };
  app.decorate("demoPanel", demoPanel);
  const log = app.log.child({ part: "demo" });
  /** Streams passed through: ended when the controller closes. */
  const open = new Set<AbortController>();

  const panel = (path: string): string => {
    if (demoPanel.url === null) {
      throw new DomainError("not-found", "this controller is not running the demo");
    }
    return new URL(path, demoPanel.url).toString();
  };

  app.get(
    "/api/demo",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["demo"],
        operationId: "getDemo",
        description:
          "Anyone signed in: whether this controller was started by the demo (npm start) with a simulated classroom box, whose panel the dashboard then shows.",
        summary: "Whether this controller runs the demo (with its simulated classroom box)",
        response: {
          200: answer(
            "Whether the demo's simulated box is there",
            Obj({ available: Type.Boolean() }),
          ),
          ...errors(401, 403),
        },
      },
    },
    () => ({ available: demoPanel.url !== null }),
  );

  app.get(
    "/api/demo/panel",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["demo"],
        operationId: "getDemoPanel",
        description:
          "Anyone signed in, in the demo only: the simulated box's lamp as its panel reports it. 404 outside the demo; 502 when the simulated box does not answer.",
        summary: "The demo's simulated box: its lamp now (404 outside the demo)",
        response: {
          200: answer("The simulated box's lamp now", Obj({ lamp: DemoLampSchema })),
          ...errors(401, 403, 404, 502),
        },
      },
    },
    async (_request, reply) => {
      const url = panel("/lamp");
      try {
        const answer = await fetch(url, { signal: AbortSignal.timeout(PANEL_TIMEOUT_MS) });
        if (!answer.ok) return await unreachable(reply, `it answered ${answer.status}`);
        return { lamp: await answer.json() };
      } catch (error) {
        return unreachable(reply, (error as Error).message);
      }
    },
  );

  app.post(
    "/api/demo/panel/button",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["demo"],
        operationId: "pressDemoButton",
        description:
          "Anyone signed in, in the demo only: presses the simulated box's record button as a teacher does in the classroom (a short press starts or stops recording, a long one asks to keep the recording).",
        summary:
          "Press the simulated box's record button: short starts or stops, long asks to keep",
        body: Obj({ press: OneOf(["short", "long"]) }),
        response: {
          200: answer("The lamp after the press", Obj({ lamp: DemoLampSchema })),
          ...errors(400, 401, 403, 404, 502),
        },
      },
    },
    async (request, reply) => {
      const url = panel("/button");
      const { press } = request.body;
      try {
        const answer = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ press }),
          signal: AbortSignal.timeout(PANEL_TIMEOUT_MS),
        });
        if (!answer.ok) return await unreachable(reply, `it answered ${answer.status}`);
        return { lamp: await answer.json() };
      } catch (error) {
        return unreachable(reply, (error as Error).message);
      }
    },
  );

  app.get(
    "/api/demo/panel/events",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["demo"],
        operationId: "streamDemoLamp",
        description:
          "Anyone signed in, in the demo only: the simulated box's lamp relayed as server-sent events, one event per change, for the dashboard's demo panel. The stream stays open until the client leaves.",
        summary: "The simulated box's lamp, live (text/event-stream, one event per change)",
        response: {
          200: {
            description: "The lamp's changes, as server-sent events",
            content: { "text/event-stream": { schema: Type.String() } },
          },
          ...errors(401, 403, 404, 502),
        },
      },
    },
    async (request, reply) => {
      const url = panel("/lamp/events");
      const abort = new AbortController();
      let answer: Response;
      try {
        answer = await fetch(url, { signal: abort.signal });
      } catch (error) {
        return unreachable(reply, (error as Error).message);
      }
      if (!answer.ok || answer.body === null) {
        return unreachable(reply, `it answered ${answer.status}`);
      }
      open.add(abort);
      const response = openEventStream(reply, 2000);
      request.raw.on("close", () => abort.abort());
      try {
        for await (const chunk of answer.body) response.write(chunk);
      } catch (error) {
        if (!abort.signal.aborted) {
          log.warn({ err: error }, "the simulated box's lamp stream broke");
        }
      } finally {
        open.delete(abort);
        response.end();
      }
    },
  );

  app.addHook("preClose", (done) => {
    for (const abort of open) abort.abort();
    done();
  });
}
