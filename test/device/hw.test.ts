/**
 * The hardware seams' own logic: the button's debounce and long press, the
 * GPIO base read from sysfs (Pi kernels offset it to 512 or 571), the ALSA
 * card check, and the linux backend refusing to start without GPIO rather
 * than falling back to the simulated box.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { PressDetector, openHardware, checkSettings, type Press } from "@classcam/device";
import { gpioNumber } from "../../device/src/hw/linux/gpio.js";
import { alsaProblem } from "../../device/src/hw/linux/index.js";

function fakeSysfs(chips: { name: string; base: number; ngpio: number; label: string }[]) {
  const root = mkdtempSync(join(tmpdir(), "classcam-gpio-"));
  for (const chip of chips) {
    mkdirSync(join(root, chip.name));
    writeFileSync(join(root, chip.name, "base"), `${chip.base}\n`);
    writeFileSync(join(root, chip.name, "ngpio"), `${chip.ngpio}\n`);
    writeFileSync(join(root, chip.name, "label"), `${chip.label}\n`);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

void t.test("the GPIO base comes from the Pi's pin controller in sysfs", async (t) => {
  const pi5 = fakeSysfs([
    { name: "gpiochip571", base: 571, ngpio: 54, label: "pinctrl-rp1" },
    { name: "gpiochip625", base: 625, ngpio: 8, label: "raspberrypi-exp-gpio" },
  ]);
  const pi4 = fakeSysfs([
    { name: "gpiochip504", base: 504, ngpio: 8, label: "raspberrypi-exp-gpio" },
    { name: "gpiochip512", base: 512, ngpio: 58, label: "pinctrl-bcm2711" },
  ]);
  const old = fakeSysfs([{ name: "gpiochip0", base: 0, ngpio: 54, label: "pinctrl-bcm2835" }]);
  const none = fakeSysfs([{ name: "gpiochip0", base: 0, ngpio: 8, label: "gpio-mockup" }]);
  t.teardown(() => [pi5, pi4, old, none].forEach((fake) => fake.remove()));
  t.equal(gpioNumber(17, pi5.root), 588, "Pi 5: 571 + 17");
  t.equal(gpioNumber(17, pi4.root), 529, "Pi 4 on a current kernel: 512 + 17");
  t.equal(gpioNumber(17, old.root), 17, "an older kernel: 0 + 17");
  t.throws(() => gpioNumber(60, pi4.root), /beyond gpiochip512/, "a line past the chip");
  t.throws(() => gpioNumber(17, none.root), /no Raspberry Pi GPIO controller.*gpio-mockup/);
  t.throws(() => gpioNumber(17, join(none.root, "missing")), /cannot list/);
  // another chip, named by its label (e.g. an I/O expander, or gpio-mockup in the test rig)
  t.equal(gpioNumber(3, none.root, "gpio-mockup"), 3, "a chip by its label");
  t.equal(gpioNumber(3, pi5.root, "raspberrypi-exp-gpio"), 628, "the expander, by its label");
  t.throws(() => gpioNumber(3, pi4.root, "gpio-mockup"), /no GPIO chip labelled 'gpio-mockup'/);
});

void t.test("the ALSA card check names what is missing", async (t) => {
  const root = mkdtempSync(join(tmpdir(), "classcam-asound-"));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  t.match(alsaProblem("hw:1,0", root), /cannot be read/, "no ALSA at all");
  writeFileSync(
    join(root, "cards"),
    " 0 [vc4hdmi        ]: vc4-hdmi - vc4-hdmi\n 1 [Device         ]: USB-Audio - USB Audio Device\n",
  );
  t.equal(alsaProblem("hw:1,0", root), null, "card 1 by number");
  t.equal(alsaProblem("plughw:CARD=Device,DEV=0", root), null, "by name");
  t.equal(alsaProblem("default", root), null, "the default device");
  t.match(alsaProblem("hw:2,0", root), /card '2'.*not present; cards: 0 vc4hdmi, 1 Device/);
  writeFileSync(join(root, "cards"), "--- no soundcards ---\n");
  t.match(alsaProblem("hw:1,0", root), /no sound cards/);
});

void t.test(
  "the button: bounce ignored, short press on release, long press while held",
  async (t) => {
    let clock = 0;
    // the detector's timers run on the same fake clock: advancing it fires those due
    const pending: { at: number; fire: () => void }[] = [];
    const advance = (ms: number) => {
      clock += ms;
      for (const timer of pending.filter((timer) => timer.at <= clock)) {
        pending.splice(pending.indexOf(timer), 1);
        timer.fire();
      }
    };
    const presses: Press[] = [];
    const detector = new PressDetector({
      debounceMs: 30,
      longPressMs: 200,
      onPress: (press) => presses.push(press),
      now: () => clock,
      timers: {
        setTimeout: (fire, ms) => {
          const timer = { at: clock + ms, fire };
          pending.push(timer);
          return timer;
        },
        clearTimeout: (timer) => {
          const at = pending.indexOf(timer as (typeof pending)[number]);
          if (at >= 0) pending.splice(at, 1);
        },
      },
    });
    t.teardown(() => detector.close());
    // a short press with contact bounce on both edges
    detector.edge(true);
    clock += 5;
    detector.edge(false); // bounce
    clock += 5;
    detector.edge(true); // bounce
    clock += 80;
    detector.edge(false);
    clock += 10;
    detector.edge(true); // bounce of the release
    t.same(presses, ["short"], "one short press, the bounces ignored");
    clock += 100;
    detector.edge(false); // already released: nothing
    t.same(presses, ["short"]);
    // a long press fires while still held, and its release adds nothing
    clock += 100;
    detector.edge(true);
    advance(199);
    t.same(presses, ["short"], "not yet a long press just before the threshold");
    advance(1);
    t.same(presses, ["short", "long"], "the long press is reported at the threshold");
    clock += 300;
    detector.edge(false);
    t.same(presses, ["short", "long"], "releasing a long press is not a short press");
  },
);

void t.test("the linux backend without GPIO is a start-up error, never the sim box", async (t) => {
  const checked = checkSettings({
    deviceId: "room-linux",
    secret: "l".repeat(32),
    dataDir: "/tmp/unused",
    controller: { mqttUrl: "mqtt://127.0.0.1:9" },
  });
  if (!checked.ok) throw new Error(checked.error);
  t.equal(checked.settings.hardware.backend, "linux", "the default backend is the real box");
  await t.rejects(
    openHardware(checked.settings.hardware),
    /lamp missing: sysfs GPIO is not accessible/,
  );
});
