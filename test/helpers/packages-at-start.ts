/**
 * Prints (as JSON) the npm packages that loading the controller's command line
 * (`controller/src/cli.ts`, what `classcam-controller serve` loads) brings in,
 * without running anything. Run in a process of its own by
 * test/controller/startup-packages.test.ts.
 */
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";

const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`;

const { port1, port2 } = new MessageChannel();
const urls: string[] = [];
const END = "classcam:end-of-loading";
const finished = new Promise<void>((resolve) => {
  port1.on("message", (url: string) => {
    if (url.endsWith(END)) resolve();
    else urls.push(url);
  });
});
register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, import.meta.url, {
  data: { port: port2 },
  transferList: [port2],
});
await import(new URL("../../controller/src/cli.ts", import.meta.url).href);
// messages arrive in order: once this one is in, every earlier resolution is
await import(`data:text/javascript,export default 1;//${END}`);
await finished;
port1.close();
const packages = new Set<string>();
for (const url of urls) {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (match?.[1] !== undefined) packages.add(match[1]);
}
process.stdout.write(JSON.stringify([...packages].sort()));
