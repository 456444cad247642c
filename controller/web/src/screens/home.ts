/**
 * The start: a welcome naming the person's roles and what the menu offers
 * them (each screen's menu entry, in words).
 */
import { h } from "../dom.js";
import { role } from "../format.js";
import { mayOpen, type Screen } from "../screen.js";

export function home(screens: () => readonly Screen[]): Screen {
  return {
    path: "",
    title: "Welcome",
    who: "anyone",
    render(screen) {
      const person = screen.person;
      if (person === null) return;
      screen.setTitle(`Welcome, ${person.name}`);
      const offered = screens().filter(
        (other) => other.menu !== undefined && mayOpen(other, person, screen.app),
      );
      screen.body.append(
        h(
          "p",
          null,
          person.roles.length === 0
            ? "Your account has no role yet: ask the school's administrator to give you one."
            : `You are signed in as ${person.roles.map(role).join(", ")}.`,
        ),
        offered.length === 0
          ? h("p", null, "There is nothing here for your role yet.")
          : h(
              "ul",
              { class: "tiles" },
              offered.map((other) =>
                h("li", null, h("a", { class: "tile", href: `#/${other.path}` }, other.menu)),
              ),
            ),
      );
    },
  };
}
