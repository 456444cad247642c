/**
 * The simulated box's front panel over HTTP, for the demo: see the lamp, press
 * the button. Exists only with the `sim` backend (the settings refuse `demo`
 * otherwise) and listens on loopback unless told otherwise.
 *
 *   GET  /            a page drawing the box, live
 *   GET  /lamp        {"mode": "recording", "level": "on"}
 *   GET  /lamp/events server-sent events, one per lamp change
 *   POST /button      {"press": "short" | "long"}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Press } from "../press.js";
import type { LampMode } from "../types.js";
import type { SimLamp } from "./index.js";

export interface PanelOptions {
  host: string;
  port: number;
  lamp: SimLamp;
  mode: () => LampMode;
  onModeChange: (listener: (mode: LampMode) => void) => () => void;
  press: (press: Press) => Promise<void>;
}

export class SimPanel {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(o: PanelOptions): Promise<SimPanel> {
    const clients = new Set<ServerResponse>();
    const snapshot = () => JSON.stringify({ mode: o.mode(), level: o.lamp.level });
    const broadcast = () => {
      for (const client of clients) client.write(`data: ${snapshot()}\n\n`);
    };
    const offLevel = o.lamp.onChange(broadcast);
    const offMode = o.onModeChange(broadcast);
    const server = createServer((request, response) => {
      handle(request, response).catch((error: unknown) => {
        send(response, 500, { error: (error as Error).message });
      });
    });
    const handle = async (request: IncomingMessage, response: ServerResponse) => {
      const path = new URL(request.url ?? "/", "http://panel").pathname;
      if (request.method === "GET" && path === "/") {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end(PAGE);
        return;
      }
      if (request.method === "GET" && path === "/lamp") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(snapshot());
        return;
      }
      if (request.method === "GET" && path === "/lamp/events") {
        response.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-store",
          connection: "keep-alive",
        });
        response.write(`data: ${snapshot()}\n\n`);
        clients.add(response);
        request.on("close", () => clients.delete(response));
        return;
      }
      if (request.method === "POST" && path === "/button") {
        const body = await readBody(request, 1024);
        let press: unknown;
        try {
          press = (JSON.parse(body || "{}") as { press?: unknown }).press ?? "short";
        } catch {
          send(response, 400, { error: 'send JSON like {"press": "short"} or {"press": "long"}' });
          return;
        }
        if (press !== "short" && press !== "long") {
          send(response, 400, { error: "press: must be 'short' or 'long'" });
          return;
        }
        await o.press(press);
        send(response, 200, JSON.parse(snapshot()) as unknown);
        return;
      }
      send(response, 404, { error: "no such page: try GET /, GET /lamp or POST /button" });
    };
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
    server.on("close", () => {
      offLevel();
      offMode();
      for (const client of clients) client.end();
    });
    const address = server.address() as AddressInfo;
    return new SimPanel(server, `http://${o.host}:${address.port}`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`body over ${limit} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>classcam — simulated classroom box</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f4f2;color:#1b1b1b;display:grid;place-items:center;min-height:100vh;margin:0}
.box{background:#2b2d31;color:#fff;border-radius:18px;padding:28px 36px;text-align:center;width:260px}
.lamp{width:90px;height:90px;border-radius:50%;margin:10px auto 18px;background:#4a1010;border:4px solid #111}
.lamp.on{background:#ff2a2a;box-shadow:0 0 30px 8px #ff4a4a}
button{font-size:1.1rem;padding:12px 20px;border-radius:30px;border:0;background:#e8e8e8;color:#1b1b1b;cursor:pointer}
button:focus-visible{outline:3px solid #ffbf47}
p{margin:.4rem 0}
</style></head>
<body><main class="box" aria-label="simulated classroom box">
<h1 style="font-size:1.1rem">Simulated classroom box</h1>
<div id="lamp" class="lamp" role="img" aria-label="lamp off"></div>
<p id="mode" aria-live="polite">lamp: off</p>
<p><button id="press">Press record button</button></p>
<p><button id="hold">Hold (ask to keep)</button></p>
</main>
<script>
const lamp=document.getElementById("lamp"),mode=document.getElementById("mode");
function show(s){lamp.className="lamp"+(s.level==="on"?" on":"");lamp.setAttribute("aria-label","lamp "+s.level+", "+s.mode);mode.textContent="lamp: "+s.mode;}
new EventSource("/lamp/events").onmessage=(e)=>show(JSON.parse(e.data));
const press=(p)=>fetch("/button",{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify({press:p})});
document.getElementById("press").onclick=()=>press("short");
document.getElementById("hold").onclick=()=>press("long");
</script></body></html>`;
