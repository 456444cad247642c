/**
 * Where the Pi's header pins are in sysfs GPIO numbering. Current Raspberry Pi
 * kernels put the SoC's chip at base 512 (or 571), older ones at 0: the base is
 * read from `/sys/class/gpio/gpiochip*\/{base,label}`, never hard-coded.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface GpioChip {
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/** The SoC's own pin controller on every Pi (bcm2835/6/7, bcm2711, rp1 on the Pi 5). */
const PI_LABEL = /^pinctrl-(bcm\d+|rp1)$/;

export function listGpioChips(sysfs = "/sys/class/gpio"): GpioChip[] {
  let names: string[];
  try {
    names = readdirSync(sysfs).filter((name) => name.startsWith("gpiochip"));
  } catch (error) {
    throw new Error(
      `cannot list ${sysfs} (${(error as Error).message}); is this a Raspberry Pi with sysfs GPIO?`,
    );
  }
  return names.map((name) => {
    const read = (file: string) => readFileSync(join(sysfs, name, file), "utf8").trim();
    const base = Number(read("base"));
    const ngpio = Number(read("ngpio"));
    if (!Number.isInteger(base) || !Number.isInteger(ngpio)) {
      throw new Error(`${join(sysfs, name)}: base or ngpio is not a number`);
    }
    return { name, base, ngpio, label: read("label") };
  });
}

/**
 * The sysfs number of line `pin` on the chip labelled `chipLabel`, or by
 * default on the Pi's own pin controller (the header's BCM numbering).
 */
export function gpioNumber(pin: number, sysfs = "/sys/class/gpio", chipLabel?: string): number {
  const chips = listGpioChips(sysfs);
  const pi = chips.filter((chip) =>
    chipLabel === undefined ? PI_LABEL.test(chip.label) : chip.label === chipLabel,
  );
  if (pi.length === 0) {
    const seen = chips.map((chip) => `${chip.name} '${chip.label}'`).join(", ") || "none";
    const wanted =
      chipLabel === undefined
        ? "no Raspberry Pi GPIO controller (label pinctrl-bcm… or pinctrl-rp1)"
        : `no GPIO chip labelled '${chipLabel}'`;
    throw new Error(`${wanted} under ${sysfs}; chips seen: ${seen}`);
  }
  const chip = pi.sort((a, b) => a.base - b.base)[0];
  if (chip === undefined) throw new Error("unreachable: no chip");
  if (pin >= chip.ngpio) {
    throw new Error(
      `GPIO line ${pin} is beyond ${chip.name} '${chip.label}' (${chip.ngpio} lines)`,
    );
  }
  return chip.base + pin;
}
