import { describe, expect, it } from "vitest";
import { likeLiteral } from "./like.js";

describe("likeLiteral", () => {
  it("escapes LIKE's wildcards and its escape character, nothing else", () => {
    expect(likeLiteral("residen_0860")).toBe("residen\\_0860");
    expect(likeLiteral("100%")).toBe("100\\%");
    expect(likeLiteral("a\\b")).toBe("a\\\\b");
    expect(likeLiteral("佐藤 hanako@example.jp")).toBe("佐藤 hanako@example.jp");
  });
});
