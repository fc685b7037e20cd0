/**
 * The staff screens' words load only with a staff page (portal/src/i18n.ts `loadArea`): this reads the portal's
 * sources and checks that nothing shown without them — the shell (main.tsx and what it imports) and every route
 * not declared a staff page — reads a section of the staff area, so no page can meet a missing word.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/** A relative import's file, or undefined for a package. */
function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(from), spec);
  return [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

const source = new Map(files(SRC).map((f) => [f, readFileSync(f, "utf8")]));
/** Static imports only: a dynamic import is another chunk, loaded by its own route. */
const imports = (file: string) =>
  [...(source.get(file) ?? "").matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)]
    .map((m) => resolveImport(file, m[1] as string))
    .filter((f): f is string => !!f && !f.includes("/i18n/"));

function closure(start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const f = todo.pop() as string;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...imports(f));
  }
  return seen;
}

const topLevelKeys = (file: string) =>
  [...readFileSync(join(SRC, file), "utf8").matchAll(/^ {2}(\w+):/gm)].map((m) => m[1] as string);
const STAFF_SECTIONS = new Set(topLevelKeys("i18n/ja-staff.ts"));
const staffSectionsRead = (file: string) =>
  [...(source.get(file) ?? "").matchAll(/\bt\(\)\.(\w+)/g)]
    .map((m) => m[1] as string)
    .filter((k) => STAFF_SECTIONS.has(k));

/** main.tsx's routes: each page's module and whether it is declared a staff page. */
const MAIN = join(SRC, "main.tsx");
const routes = [
  ...(source.get(MAIN) ?? "").matchAll(
    /const (\w+) = (page|staffPage)\(\(\) => import\("([^"]+)"\), "(\w+)"\)/g,
  ),
].map((m) => ({
  name: m[1] as string,
  staff: m[2] === "staffPage",
  file: resolveImport(MAIN, m[3] as string),
}));

describe("the portal's dictionary areas", () => {
  it("has both languages' areas with the same sections", () => {
    expect(topLevelKeys("i18n/en-staff.ts")).toEqual([...STAFF_SECTIONS]);
    expect(topLevelKeys("i18n/en.ts")).toEqual(topLevelKeys("i18n/ja.ts"));
    expect(topLevelKeys("i18n/ja.ts").filter((k) => STAFF_SECTIONS.has(k))).toEqual([]);
  });

  it("reads no staff word in the shell, shown on every page", () => {
    const read = [...closure(MAIN)].flatMap((f) => staffSectionsRead(f).map((k) => `${f}: ${k}`));
    expect(read).toEqual([]);
  });

  it("reads staff words only in routes declared staff pages", () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !r.file).map((r) => r.name)).toEqual([]);
    const read = routes
      .filter((r) => !r.staff)
      .flatMap((r) =>
        [...closure(r.file as string)].flatMap((f) =>
          staffSectionsRead(f).map(
            (k) => `${r.name} (not a staff page): ${f.slice(SRC.length + 1)} reads ${k}`,
          ),
        ),
      );
    expect(read).toEqual([]);
  });
});
