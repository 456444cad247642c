/** The dashboard starts here. */
import { Dashboard } from "./app.js";
import { problemInWords } from "./errors.js";
import { SCREENS } from "./screens/index.js";

const root = document.getElementById("app");
if (root !== null) {
  new Dashboard(root, SCREENS).start().catch((error: unknown) => {
    console.error(error);
    const message = document.createElement("p");
    message.className = "message error";
    message.setAttribute("role", "alert");
    message.textContent = problemInWords(error);
    root.replaceChildren(message);
  });
}
