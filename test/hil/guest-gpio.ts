/**
 * Runs inside the HIL guest (from guest-checks.sh): the rig's GPIO chip
 * through sysfs GPIO and onoff, as the device daemon's linux backend uses
 * them — a lamp on an output line, a button on an input line with edge
 * interrupts, pressed through the chip's debugfs file. Prints `@fact` lines
 * for hil.test.ts and judges nothing itself.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BinaryValue, Gpio as GpioType } from "onoff";
import { gpioNumber } from "../../device/src/hw/linux/gpio.js";
import { MOCK_GPIO } from "./rig.js";

const LAMP = 17;
const BUTTON = 27;
const fact = (name: string, value: string | number) => {
  process.stdout.write(`@fact ${name} ${value}\n`);
};
const debugfsLine = (line: number) => join(MOCK_GPIO.debugfs, String(line));

const sysfs = "/sys/class/gpio";
const chip = readdirSync(sysfs)
  .filter((name) => name.startsWith("gpiochip"))
  .map((name) => ({
    name,
    label: readFileSync(join(sysfs, name, "label"), "utf8").trim(),
    base: Number(readFileSync(join(sysfs, name, "base"), "utf8")),
    ngpio: Number(readFileSync(join(sysfs, name, "ngpio"), "utf8")),
  }))
  .find((found) => found.label === MOCK_GPIO.label);
if (chip === undefined) {
  fact("gpio.chip", "missing");
  process.exit(0);
}
fact("gpio.chip", `${chip.name} label=${chip.label} base=${chip.base} ngpio=${chip.ngpio}`);
// the device daemon's own lookup finds the same line for the lamp's pin
fact("gpio.daemon", `lamp=${gpioNumber(LAMP) - chip.base}`);

const { Gpio } = await import("onoff");
fact("gpio.accessible", Gpio.accessible ? "yes" : "no");

// the lamp: what the line drives is what the chip's debugfs file reads
const lamp: GpioType = new Gpio(chip.base + LAMP, "out");
lamp.writeSync(1);
const lampOn = readFileSync(debugfsLine(LAMP), "utf8").trim();
lamp.writeSync(0);
const lampOff = readFileSync(debugfsLine(LAMP), "utf8").trim();
fact("gpio.lamp", `on=${lampOn} off=${lampOff}`);
lamp.unexport();

// the button: each press and release through debugfs arrives as an interrupt
const button: GpioType = new Gpio(chip.base + BUTTON, "in", "both");
const edges: BinaryValue[] = [];
const edge = () =>
  new Promise<BinaryValue | "none">((resolve) => {
    const timer = setTimeout(() => {
      resolve("none");
    }, 30_000);
    button.watch((error, value) => {
      clearTimeout(timer);
      button.unwatchAll();
      resolve(error === null || error === undefined ? value : "none");
    });
  });
for (const level of [1, 0, 1, 0] as const) {
  const next = edge();
  writeFileSync(debugfsLine(BUTTON), `${level}\n`);
  const value = await next;
  if (value !== "none") edges.push(value);
}
fact("gpio.button", `edges=${edges.join(",")} read=${button.readSync()}`);
button.unexport();
