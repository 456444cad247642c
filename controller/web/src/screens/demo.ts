/**
 * The demo's simulated classroom box, drawn as the real one: the camera, the
 * lamp (lit exactly while the camera and microphone are live) and the record
 * button. Press it here as a teacher would press the real one; the lamp
 * follows the box live. Only in the demo.
 */
import { api } from "../api.js";
import { h, svg } from "../dom.js";
import { lamp as lampWords } from "../format.js";
import type { Screen } from "../screen.js";
import type { DemoLamp } from "../types.js";
import { Messages, button, onPress } from "../ui.js";

function drawBox(): { picture: SVGSVGElement; lamp: SVGCircleElement } {
  const lamp = svg("circle", { class: "lamp", cx: 120, cy: 168, r: 20 });
  const picture = svg(
    "svg",
    { viewBox: "0 0 240 330", class: "box-drawing", role: "img" },
    svg(
      "defs",
      {},
      svg(
        "radialGradient",
        { id: "lamp-glow" },
        svg("stop", { offset: "0%", "stop-color": "#ff6b6b" }),
        svg("stop", { offset: "60%", "stop-color": "#e31b1b" }),
        svg("stop", { offset: "100%", "stop-color": "#a00000" }),
      ),
    ),
    svg("rect", { class: "body", x: 10, y: 10, width: 220, height: 310, rx: 22 }),
    svg("rect", { class: "face", x: 28, y: 28, width: 184, height: 274, rx: 14 }),
    // the camera
    svg("circle", { class: "lens-ring", cx: 120, cy: 82, r: 38 }),
    svg("circle", { class: "lens", cx: 120, cy: 82, r: 24 }),
    svg("circle", { class: "lens-shine", cx: 111, cy: 73, r: 6 }),
    // the lamp, with its label
    svg("circle", { class: "lamp-ring", cx: 120, cy: 168, r: 27 }),
    lamp,
    svg("text", { class: "label", x: 120, y: 214, "text-anchor": "middle" }, "RECORDING"),
    // the button's bezel (the button itself is a real button, over it)
    svg("circle", { class: "button-ring", cx: 120, cy: 262, r: 30 }),
  );
  return { picture, lamp };
}

export const demoPanel: Screen = {
  path: "demo",
  title: "Demo classroom box",
  menu: "Demo classroom",
  who: "anyone",
  available: (app) => app.demo,
  async render(screen) {
    const messages = new Messages();
    const { picture, lamp } = drawBox();
    const state = h("p", { class: "lamp-state", attrs: { "aria-live": "polite" } }, "Lamp: …");
    const press = h(
      "button",
      { type: "button", class: "box-button", attrs: { "aria-label": "Record button: press" } },
      h("span", { class: "visually-hidden" }, "Record button"),
    );
    const hold = button("Hold the button down (ask to keep the last recording)");
    const box = h("figure", { class: "box", attrs: { "data-lamp": "off" } }, picture, press);

    const show = (now: DemoLamp) => {
      const lit = now.level === "on";
      lamp.classList.toggle("on", lit);
      box.dataset.lamp = lit ? "on" : "off";
      box.dataset.mode = now.mode;
      const words = `Lamp: ${lampWords(now.mode)}`;
      picture.setAttribute("aria-label", `The simulated classroom box. ${words}`);
      if (state.textContent !== words) state.textContent = words;
    };
    onPress(press, messages, async () => {
      show((await api.post<{ lamp: DemoLamp }>("/api/demo/panel/button", { press: "short" })).lamp);
    });
    onPress(hold, messages, async () => {
      show((await api.post<{ lamp: DemoLamp }>("/api/demo/panel/button", { press: "long" })).lamp);
      screen.announce("Held: the box asks to keep its last recording.");
    });

    screen.body.append(
      h(
        "p",
        null,
        "This is the demo's simulated classroom box. Press its button to start or stop " +
          "recording, as a teacher would: the lamp is lit exactly while the camera and " +
          "microphone are on.",
      ),
      h(
        "div",
        { class: "demo" },
        box,
        h("div", { class: "demo-side" }, state, hold, messages.element),
      ),
    );

    try {
      show((await api.get<{ lamp: DemoLamp }>("/api/demo/panel")).lamp);
    } catch (error) {
      messages.error(error);
    }
    const events = new EventSource("/api/demo/panel/events");
    events.addEventListener("message", (event: MessageEvent<string>) => {
      try {
        show(JSON.parse(event.data) as DemoLamp);
      } catch {
        // a line that is not a lamp state: skip it
      }
    });
    screen.onLeave(() => {
      events.close();
    });
  },
};
