/**
 * What a screen is, and what it is given when it opens. A screen is a module
 * exporting one `Screen`; `screens/index.ts` lists them (one line each) and
 * the app does the rest: the address (`#/path`), the menu entry for the
 * roles it names, the page title and heading, focus, and leaving (its live
 * subscriptions and timers end, its requests are aborted).
 */
import type { NoticeData, Topic } from "./live.js";
import type { Role, Session } from "./types.js";

export interface Person {
  id: string;
  name: string;
  roles: readonly Role[];
}

/** What the app knows about where it runs. */
export interface AppInfo {
  /** The controller runs the demo: its simulated classroom box can be shown. */
  demo: boolean;
}

export interface Screen {
  /** The address after `#/`, with `:name` for parameters: `recordings/:id`. "" is the home. */
  path: string;
  /** The page's heading and title (a screen may change it once it knows more). */
  title: string;
  /** Its label in the main menu; screens reached by links leave it out. */
  menu?: string;
  /**
   * Who may open it: people holding one of these roles, `anyone` signed in,
   * or `public` (signed-out pages: sign in, first-run set-up).
   */
  who: readonly Role[] | "anyone" | "public";
  /** Offered only when this holds (the demo panel: only in the demo). */
  available?: (app: AppInfo) => boolean;
  /** Fills `screen.body`. Errors it throws are shown in plain words. */
  render: (screen: ScreenContext) => void | Promise<void>;
}

export interface ScreenContext {
  /** Where the screen draws, under its heading; empty when it opens. */
  body: HTMLElement;
  /** The page's heading (focus goes there when the screen opens). */
  heading: HTMLHeadingElement;
  /** Changes the heading and the window title. */
  setTitle: (title: string) => void;
  /** The address's parameters (`:id` in the path). */
  params: Readonly<Record<string, string>>;
  /** The address's query, after "?" (`#/audit?actor=head`): a view's filters, to share or reload. */
  query: Readonly<Record<string, string>>;
  /** Who is signed in; null on public screens before signing in. */
  person: Person | null;
  session: Session | null;
  app: AppInfo;
  /** Goes to `#/path`, showing `message` (if any) at the top of the screen it opens. */
  navigate: (path: string, message?: string) => void;
  /** Reads a short message out to screen-reader users (and shows nothing). */
  announce: (message: string) => void;
  /** Runs `handler` on each live notice of `topic` while the screen is open. */
  live: <T extends Topic>(topic: T, handler: (data: NoticeData[T]) => void) => void;
  /** Runs when the screen is left. */
  onLeave: (cleanup: () => void) => void;
  /** Aborted when the screen is left. */
  signal: AbortSignal;
  /** Signs in with a new session (sign-in, set-up, password change). */
  signedIn: (session: Session) => Promise<void>;
}

/** May this person open the screen? */
export function mayOpen(screen: Screen, person: Person | null, app: AppInfo): boolean {
  if (screen.available && !screen.available(app)) return false;
  if (screen.who === "public") return true;
  if (person === null) return false;
  if (screen.who === "anyone") return true;
  return person.roles.some((role) => screen.who.includes(role));
}

/** The parameters when `hash` (without `#/`) is an address of `pattern`, else null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? "";
    if (part.startsWith(":")) {
      if (value === "") return null;
      params[part.slice(1)] = decodeURIComponent(value);
    } else if (part !== value) return null;
  }
  return params;
}
