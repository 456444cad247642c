// The rooms stay findable: no non-test source file grows past about 500
// lines (the C++ addon and generated files aside), and no module imports
// itself back through others (type-only imports count too: a circle of types
// is still a circle a newcomer has to untangle).
import t from "tap";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO } from "../helpers/controller.js";

const SOURCES = [
  "protocol/src",
  "controller/src",
  "controller/web/src",
  "device/src",
  "native/src",
  "provisioning/src",
  "sqlite/src",
  "scripts",
];
const MAX_LINES = 500;

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const files = SOURCES.flatMap((dir) => sourceFiles(join(REPO, dir)));

void t.test("no source file is over 500 lines", async (t) => {
  t.ok(files.length > 50, `found the sources (${files.length} files)`);
  const long = files
    .map((file) => ({
      file: relative(REPO, file),
      lines: readFileSync(file, "utf8").split("\n").length - 1,
    }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `${file} (${lines} lines)`);
  t.same(long, [], "split a room before it gets there");
});

/** The files a module imports by relative path, resolved to files on disk. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(/(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    const spec = match[1] ?? "";
    const base = resolve(dirname(file), spec);
    const candidates = [
      base.replace(/\.(m?)js$/, ".$1ts"),
      base,
      `${base}.ts`,
      join(base, "index.ts"),
    ];
    const target = candidates.find((path) => existsSync(path) && statSync(path).isFile());
    if (target !== undefined) found.push(target);
  }
  return found;
}

/** Strongly connected components of more than one module (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfImport = graph.get(node)?.includes(node) ?? false;
      if (component.length > 1 || selfImport) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

void t.test("no import circle", async (t) => {
  const graph = new Map(files.map((file) => [file, importsOf(file)]));
  t.ok(
    [...graph.values()].some((targets) => targets.length > 0),
    "the relative imports were found",
  );
  t.same(
    circles(graph).map((component) => component.map((file) => relative(REPO, file)).sort()),
    [],
    "modules that import each other, directly or round a circle",
  );
});

void t.test("the circle finder finds a circle", async (t) => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a"]],
    ["d", ["a"]],
  ]);
  t.same(
    circles(graph).map((c) => c.sort()),
    [["a", "b", "c"]],
  );
});
