import { describe, expect, it } from "vitest";
import { textProblem, textProblems } from "./text.js";

describe("text", () => {
  it("accepts any valid Unicode text, astral characters included", () => {
    for (const s of ["", "産後ケア", "💥 emoji 👶🏻", "tab\tand\nnewline", "\uffff"])
      expect(textProblem(s)).toBeNull();
  });

  it("refuses NUL and unpaired surrogates, high or low, anywhere in the string", () => {
    expect(textProblem("a\u0000b")).toMatch(/NUL/);
    for (const s of ["\ud800", "x\ud83d", "\udc00y", "\ude00\ud83d", "ok💥\ud800"]) {
      expect(textProblem(s), JSON.stringify(s)).toMatch(/unpaired UTF-16 surrogate/);
    }
  });

  it("names every refused string and key by its JSON pointer", () => {
    const body = {
      name: "ok",
      notes: "bad\u0000",
      rules: [{ keyword: "fine" }, { keyword: "\ud800" }],
      detail: { "a/b\u0000": 1 },
      count: 3,
      none: null,
    };
    expect(textProblems(body, "/requestBody")).toEqual([
      { path: "/requestBody/notes", message: expect.stringMatching(/NUL/) },
      { path: "/requestBody/rules/1/keyword", message: expect.stringMatching(/surrogate/) },
      { path: "/requestBody/detail/a~1b\\u0000", message: expect.stringMatching(/^its name .*NUL/) },
    ]);
    expect(textProblems({ q: ["x", "\u0000"] }, "/query")).toEqual([
      { path: "/query/q/1", message: expect.stringMatching(/NUL/) },
    ]);
    expect(textProblems(undefined, "/requestBody")).toEqual([]);
  });
});
