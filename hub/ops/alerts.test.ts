import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const rules = (
  parse(readFileSync(new URL("../../ops/alerts.yml", import.meta.url), "utf8")) as {
    groups: { rules: { alert: string; expr: string; annotations: { runbook: string } }[] }[];
  }
).groups.flatMap((g) => g.rules);
const runbook = readFileSync(new URL("../../docs/runbook.md", import.meta.url), "utf8");
const exported = readFileSync(new URL("../http/metrics.ts", import.meta.url), "utf8");

describe("ops/alerts.yml", () => {
  it("gives every alert a runbook section of its name", () => {
    expect(rules.length).toBeGreaterThan(5);
    const sections = [...runbook.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    for (const r of rules) {
      expect(sections, r.alert).toContain(r.alert);
      expect(r.annotations.runbook).toBe(`docs/runbook.md#${r.alert.toLowerCase()}`);
    }
    expect(sections.sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it("uses only metrics the hub exports (or Prometheus's own up and Node's defaults)", () => {
    for (const r of rules) {
      for (const [name] of r.expr.matchAll(/\bhub_[a-z_]+/g)) {
        const base = name.replace(/_total$/, "");
        expect(exported, `${r.alert}: ${name}`).toMatch(new RegExp(`name: "${base}(_total)?"`));
      }
    }
  });
});
