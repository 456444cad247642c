/**
 * A school on a real controller (`startSchool`) with one sim classroom box
 * enrolled in it and connected over real MQTT, its data in a temp folder;
 * all stopped and removed when the test ends.
 */
import type { Test } from "tap";
import type { DeviceSettings } from "@classcam/device";
import { boxDir, boxSettings, startBox, until, type TestBox } from "./device.js";
import { startSchool, type School } from "./school.js";

export interface SchoolWithBox {
  school: School;
  box: TestBox;
}

/**
 * Starts a school with `deviceId` enrolled and that device's box running on
 * fresh settings (`boxSettings`, whose `dataDir` is the box's temp folder).
 * `settings` may change or add to them before the box starts (a demo panel, a
 * cached config); `config` changes the controller's (the school's mail relay).
 */
export async function schoolWithBox(
  t: { teardown: (fn: () => unknown) => void },
  deviceId: string,
  options: {
    settings?: (settings: DeviceSettings) => DeviceSettings;
    config?: NonNullable<Parameters<typeof startSchool>[0]>["config"];
  } = {},
): Promise<SchoolWithBox> {
  const school = await startSchool({
    devices: [deviceId],
    ...(options.config !== undefined && { config: options.config }),
  });
  const dir = boxDir();
  let box: TestBox | null = null;
  t.teardown(async () => {
    await box?.stop();
    await school.close();
    dir.remove();
  });
  const secret = (await school.app.devices.rotateSecret(deviceId)).secret;
  const settings = boxSettings(deviceId, secret, school.controller.url, dir.path);
  box = await startBox(options.settings?.(settings) ?? settings);
  return { school, box };
}

/**
 * teacher-a books the box's room from a minute after the school's clock for
 * an hour, with sound, for `purpose` (checked: 201); resolves with the
 * booking's id once it is on the box's schedule.
 */
export async function bookOnBox(
  t: Test,
  { school, box }: SchoolWithBox,
  deviceId: string,
  purpose: string,
): Promise<string> {
  const now = school.clock.now.getTime();
  const booked = await school.as["teacher-a"].post("/api/bookings", {
    deviceId,
    start: new Date(now + 60_000).toISOString(),
    end: new Date(now + 3600_000).toISOString(),
    purpose,
    classCode: "7A1",
    audio: true,
  });
  t.equal(booked.status, 201, JSON.stringify(booked.body));
  const bookingId = booked.json<{ bookingId: string }>().bookingId;
  await until(
    () => box.daemon.config.current?.schedule.some((b) => b.bookingId === bookingId) === true,
    "the booking on the box's schedule",
  );
  return bookingId;
}

/** Waits (30 s at most) until the recording's footage is on the controller, as teacher-a sees it. */
export function footageOnController(school: School, recordingId: string): Promise<void> {
  return until(
    async () =>
      (await school.as["teacher-a"].get(`/api/recordings/${recordingId}`)).json<{
        footage: { state: string };
      }>().footage.state === "on-controller",
    "the upload to finish",
    30_000,
  );
}
