// Every kind of alert the controller raises reaches IT in plain words on the
// dashboard, not as its code.
import t from "tap";
import { ALERT_KINDS } from "../../controller/src/domain/alerts.js";
import { alertKind } from "../../controller/web/src/format.js";

void t.test("the dashboard has words for every alert kind", async (t) => {
  for (const kind of ALERT_KINDS) {
    const words = alertKind(kind);
    t.not(words, kind.replace(/-/g, " "), `${kind}: ${words}`);
  }
  t.match(alertKind("event-quarantined"), /could not be recorded.*events retry/);
});
