/**
 * Every screen of the dashboard, one line each. The order is the main menu's
 * order. To add a screen: write `screens/<name>.ts` exporting a `Screen`
 * (see `../screen.ts`) and add it here.
 */
import type { Screen } from "../screen.js";
import { bookSlot } from "./book.js";
import { myBookings } from "./bookings.js";
import { coachingScreen } from "./coaching.js";
import { coachingTimeline } from "./coaching-timeline.js";
import { coachingAnswer } from "./coaching-answer.js";
import { bank } from "./bank.js";
import { myClips } from "./clips.js";
import { consents } from "./consents.js";
import { concernScreen, concernsScreen } from "./concerns.js";
import { notificationSettings } from "./notification-settings.js";
import { notificationsScreen } from "./notifications.js";
import { demoPanel } from "./demo.js";
import { home } from "./home.js";
import { changePassword } from "./password.js";
import { recordingScreen } from "./recording.js";
import { myRecordings } from "./recordings.js";
import { setUp } from "./setup.js";
import { sharedWithMe } from "./shared.js";
import { signIn } from "./signin.js";
import { audit } from "./audit.js";
import { devicesScreen } from "./devices.js";
import { dpoScreen } from "./dpo.js";
import { fleet } from "./fleet.js";
import { framework } from "./framework.js";
import { holds } from "./holds.js";
import { policyScreen } from "./policy.js";
import { staffScreen } from "./staff.js";
import { timetable } from "./timetable.js";
import { use } from "./use.js";

export const SCREENS: readonly Screen[] = [
  home(() => SCREENS),
  signIn,
  setUp,
  changePassword,
  myRecordings,
  recordingScreen,
  myBookings,
  bookSlot,
  sharedWithMe,
  consents,
  myClips,
  bank,
  notificationsScreen,
  notificationSettings,
  concernsScreen,
  concernScreen,
  coachingScreen,
  coachingTimeline,
  coachingAnswer,
  demoPanel,
  timetable,
  fleet,
  use,
  holds,
  audit,
  policyScreen,
  dpoScreen,
  framework,
  devicesScreen,
  staffScreen,
];
