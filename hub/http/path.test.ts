import { describe, expect, it } from "vitest";
import { pathProblem } from "./path.js";

describe("request paths", () => {
  it("accepts ordinary paths, escaped Japanese and dots inside a name", () => {
    for (const p of [
      "/",
      "/api/facilities",
      "/facility/%E4%BA%88%E7%B4%84",
      "/assets/index-a1.b2.js",
      "/a..b/c",
    ]) {
      expect(pathProblem(p), p).toBeNull();
    }
  });

  it("refuses malformed escapes and escaped bytes that are not UTF-8", () => {
    for (const p of ["/%zz", "/facility/%E0%A4%A", "/api/facilities/%", "/%ED%A0%80", "/%C0"]) {
      expect(pathProblem(p), p).toMatch(/malformed % escape/);
    }
  });

  it("refuses NUL and '..' segments, escaped or not", () => {
    expect(pathProblem("/%00")).toMatch(/NUL/);
    expect(pathProblem("/assets/x%00.js")).toMatch(/NUL/);
    for (const p of ["/assets/..%2f..%2fpackage.json", "/a/%2e%2e/%2e%2e/x", "/a/../b", "/a/..%5cb"]) {
      expect(pathProblem(p), p).toMatch(/'\.\.' segment/);
    }
  });
});
