/**
 * The dashboard's shell: who is signed in, the frame (menu, account, the
 * main region), the address (`#/path`) and which screen it opens, and the
 * live notices. Screens are listed in `screens/index.ts`; see `screen.ts`.
 */
import { api, useCsrfToken, whenSessionEnds } from "./api.js";
import { fill, h } from "./dom.js";
import { ApiError, problemInWords } from "./errors.js";
import { LiveNotices } from "./live.js";
import { NotificationBell } from "./notification-bell.js";
import {
  mayOpen,
  match,
  type AppInfo,
  type Person,
  type Screen,
  type ScreenContext,
} from "./screen.js";
import type { Session } from "./types.js";
import { Messages, button } from "./ui.js";

/** Where the signed-out pages are. */
const SIGN_IN = "signin";
const SET_UP = "setup";
const PASSWORD = "password";

export class Dashboard {
  private session: Session | null = null;
  private readonly info: AppInfo = { demo: false };
  private live: LiveNotices | null = null;
  /** My unread notifications, in the header while signed in. */
  private bell: NotificationBell | null = null;
  private leaving: (() => void)[] = [];
  private aborter: AbortController | null = null;
  private firstScreen = true;
  /** Where someone was going when they had to sign in first. */
  private wanted: string | null = null;
  /** A message for the next screen ("your session has ended"). */
  private flash: string | null = null;
  private setupNeeded = false;
  private readonly nav = h("nav", { attrs: { "aria-label": "Main menu" } });
  private readonly account = h("div", { class: "account" });
  private readonly main = h("main", { id: "main", tabIndex: -1 });
  private readonly announcer = h("div", {
    class: "visually-hidden",
    attrs: { "aria-live": "polite", "aria-atomic": "true" },
  });
  private current: { screen: Screen; path: string } | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly screens: readonly Screen[],
  ) {}

  async start(): Promise<void> {
    whenSessionEnds(() => {
      void this.sessionEnded();
    });
    window.addEventListener("hashchange", () => {
      void this.route();
    });
    this.frame();
    try {
      await this.useSession(await api.get<Session>("/api/session"));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      this.setupNeeded = (await api.get<{ needed: boolean }>("/api/setup")).needed;
      await this.useSession(null);
    }
    await this.route();
  }

  // ------------------------------------------------------------------ the session

  private person(): Person | null {
    const user = this.session?.user;
    return user ? { id: user.id, name: user.displayName, roles: user.roles } : null;
  }

  private async useSession(session: Session | null): Promise<void> {
    this.session = session;
    useCsrfToken(session?.csrfToken ?? null);
    this.live?.stop();
    this.live = null;
    this.bell?.stop();
    this.bell = null;
    if (session !== null && !session.user.mustChangePassword) {
      this.live = new LiveNotices("/api/events/stream", () => {
        void this.checkSession();
      });
      this.live.start();
      this.bell = new NotificationBell(this.live);
      this.bell.start();
      await this.learnDemo();
    }
    this.frame();
  }

  /** Whether the controller runs the demo (its simulated box can be shown). */
  private async learnDemo(): Promise<void> {
    this.info.demo = (await api.get<{ available: boolean }>("/api/demo")).available;
  }

  /** The live stream ended for good: is the session over, or was it a hiccup? */
  private async checkSession(): Promise<void> {
    try {
      await api.get<Session>("/api/session");
      // still signed in: the stream broke for another reason; try again shortly
      window.setTimeout(() => this.live?.start(), 3000);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) await this.sessionEnded();
    }
  }

  private async sessionEnded(): Promise<void> {
    if (this.session === null) return;
    this.flash = "Your session has ended. Please sign in again.";
    this.wanted = this.current?.path ?? null;
    await this.useSession(null);
    this.navigate(SIGN_IN);
  }

  private async signOut(): Promise<void> {
    try {
      await api.delete("/api/session");
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
    this.wanted = null;
    await this.useSession(null);
    this.flash = "You have signed out.";
    this.navigate(SIGN_IN);
  }

  // ------------------------------------------------------------------ the frame

  private frame(): void {
    const person = this.person();
    const skip = h(
      "a",
      {
        class: "skip-link",
        href: "#main",
        on: {
          click: (event) => {
            event.preventDefault();
            this.main.focus();
          },
        },
      },
      "Skip to the main content",
    );
    const brand = h(
      "a",
      { class: "brand", href: "#/" },
      h("span", { class: "brand-lamp", attrs: { "aria-hidden": "true" } }),
      "classcam",
    );
    this.menu();
    this.account.replaceChildren();
    if (person !== null) {
      const messages = new Messages();
      const signOut = button("Sign out", {}, "secondary");
      signOut.addEventListener("click", () => {
        this.signOut().catch((error: unknown) => {
          messages.error(error);
        });
      });
      this.account.append(
        h("span", { class: "who" }, "Signed in as ", h("strong", null, person.name)),
        this.bell?.element ?? "",
        h("a", { href: `#/${PASSWORD}` }, "Change password"),
        signOut,
        messages.element,
      );
    }
    if (this.root.dataset.framed !== "true") {
      this.root.replaceChildren(
        skip,
        h("header", { class: "topbar" }, brand, this.nav, this.account),
        this.main,
        this.announcer,
      );
      this.root.dataset.framed = "true";
    }
  }

  /** The main menu: the screens this person may open that have a menu label. */
  private menu(): void {
    const person = this.person();
    if (person === null || this.session?.user.mustChangePassword === true) {
      this.nav.replaceChildren();
      this.nav.hidden = true;
      return;
    }
    const items = this.screens.filter(
      (screen) => screen.menu !== undefined && mayOpen(screen, person, this.info),
    );
    this.nav.hidden = items.length === 0;
    this.nav.replaceChildren(
      h(
        "ul",
        null,
        items.map((screen) => {
          const here = this.current?.screen === screen;
          return h(
            "li",
            null,
            h(
              "a",
              { href: `#/${screen.path}`, attrs: { "aria-current": here ? "page" : null } },
              screen.menu,
            ),
          );
        }),
      ),
    );
  }

  // ------------------------------------------------------------------ addresses and screens

  navigate(path: string): void {
    const hash = `#/${path}`;
    if (location.hash === hash) void this.route();
    else location.hash = hash;
  }

  private find(path: string): { screen: Screen; params: Record<string, string> } | null {
    // what follows "?" is the screen's query (a view's filters), not part of its path
    const [bare = ""] = path.split("?", 1);
    for (const screen of this.screens) {
      const params = match(screen.path, bare);
      if (params !== null) return { screen, params };
    }
    return null;
  }

  private async route(): Promise<void> {
    const hash = location.hash;
    if (hash !== "" && !hash.startsWith("#/")) return; // an in-page link
    const path = hash.replace(/^#\/?/, "");
    const person = this.person();
    const found = this.find(path);
    if (person === null) {
      if (found?.screen.who === "public") {
        if (this.setupNeeded && found.screen.path === SIGN_IN) this.navigate(SET_UP);
        else await this.open(found.screen, found.params, path);
        return;
      }
      this.wanted = path;
      this.navigate(this.setupNeeded ? SET_UP : SIGN_IN);
      return;
    }
    if (this.session?.user.mustChangePassword === true && path !== PASSWORD) {
      this.navigate(PASSWORD);
    } else if (found === null) {
      this.notFound(path);
    } else if (found.screen.who === "public") {
      this.navigate("");
    } else if (!mayOpen(found.screen, person, this.info)) {
      this.notAllowed(path);
    } else {
      await this.open(found.screen, found.params, path);
    }
  }

  private leave(): void {
    this.aborter?.abort();
    for (const cleanup of this.leaving.splice(0)) {
      try {
        cleanup();
      } catch (error) {
        console.error("leaving a screen", error);
      }
    }
  }

  private async open(screen: Screen, params: Record<string, string>, path: string): Promise<void> {
    this.leave();
    const aborter = new AbortController();
    this.aborter = aborter;
    this.current = { screen, path };
    this.menu();
    const heading = h("h1", { tabIndex: -1 }, screen.title);
    const body = h("div", { class: "screen" });
    const flash = this.flash;
    this.flash = null;
    fill(
      this.main,
      heading,
      flash !== null && h("p", { class: "message info", attrs: { role: "status" } }, flash),
      body,
    );
    const setTitle = (title: string) => {
      heading.textContent = title;
      document.title = `${title} — classcam`;
    };
    setTitle(screen.title);
    document.body.dataset.screen = screen.path === "" ? "home" : screen.path;
    delete document.body.dataset.ready;
    if (!this.firstScreen) heading.focus();
    this.firstScreen = false;
    const context: ScreenContext = {
      body,
      heading,
      setTitle,
      params,
      query: Object.fromEntries(new URLSearchParams(path.split("?").slice(1).join("?"))),
      person: this.person(),
      session: this.session,
      app: this.info,
      navigate: (to, message) => {
        if (message !== undefined) this.flash = message;
        this.navigate(to);
      },
      announce: (message) => {
        this.announce(message);
      },
      live: (topic, handler) => {
        const off = this.live?.on(topic, handler);
        if (off) this.leaving.push(off);
      },
      onLeave: (cleanup) => this.leaving.push(cleanup),
      signal: aborter.signal,
      signedIn: async (session) => {
        this.setupNeeded = false;
        await this.useSession(session);
        const next = session.user.mustChangePassword ? PASSWORD : (this.wanted ?? "");
        this.wanted = null;
        this.navigate(next === SIGN_IN || next === SET_UP ? "" : next);
      },
    };
    try {
      await screen.render(context);
    } catch (error) {
      if (aborter.signal.aborted) return;
      console.error(error);
      body.append(
        h("p", { class: "message error", attrs: { role: "alert" } }, problemInWords(error)),
      );
    }
    if (!aborter.signal.aborted) document.body.dataset.ready = "true";
  }

  private notFound(path: string): void {
    this.leave();
    this.current = null;
    this.menu();
    document.title = "Page not found — classcam";
    document.body.dataset.screen = "not-found";
    this.main.replaceChildren(
      h("h1", { tabIndex: -1 }, "Page not found"),
      h("p", null, `There is no page at “${path}”. `, h("a", { href: "#/" }, "Go to the start")),
    );
  }

  private notAllowed(path: string): void {
    this.leave();
    this.current = null;
    this.menu();
    document.title = "Not for your role — classcam";
    document.body.dataset.screen = "not-allowed";
    this.main.replaceChildren(
      h("h1", { tabIndex: -1 }, "This page is not for your role"),
      h(
        "p",
        null,
        `Your account cannot open “${path}”. `,
        h("a", { href: "#/" }, "Go to the start"),
      ),
    );
  }

  announce(message: string): void {
    this.announcer.textContent = "";
    window.setTimeout(() => {
      this.announcer.textContent = message;
    }, 50);
  }
}
