import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadCheckedOpenApiDocument, writeCheckedOpenApiDocument } from "./openapi.js";

const VALID = `openapi: 3.1.0
info: { title: t, version: "1" }
paths:
  /a:
    get:
      operationId: getA
      responses: { "200": { description: ok } }
`;

describe("the checked copy of the OpenAPI document (written by npm run build)", () => {
  let dir: string;
  const files = () => ({
    yaml: pathToFileURL(path.join(dir, "openapi.yaml")),
    checked: pathToFileURL(path.join(dir, "openapi.checked.json")),
  });
  const setup = (yaml: string) => {
    dir = mkdtempSync(path.join(tmpdir(), "openapi-"));
    writeFileSync(files().yaml, yaml);
  };
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is written only for a valid document, and used while the YAML is unchanged", async () => {
    setup(VALID);
    await writeCheckedOpenApiDocument(files());
    const copy = JSON.parse(readFileSync(files().checked, "utf8"));
    expect(copy.document.paths["/a"].get.operationId).toBe("getA");
    // What the hub loads is the copy: marked here to tell it from the YAML.
    copy.document.info.title = "from the checked copy";
    writeFileSync(files().checked, JSON.stringify(copy));
    expect((await loadCheckedOpenApiDocument(files())).info.title).toBe("from the checked copy");
  });

  it("is ignored once the YAML changed: the YAML is parsed and checked again", async () => {
    setup(VALID);
    await writeCheckedOpenApiDocument(files());
    writeFileSync(files().yaml, VALID.replace("title: t", "title: edited"));
    expect((await loadCheckedOpenApiDocument(files())).info.title).toBe("edited");
    writeFileSync(files().yaml, VALID.replace("openapi: 3.1.0", "openapi: 3.1.0\nnot_a_field: 1"));
    await expect(loadCheckedOpenApiDocument(files())).rejects.toThrow(/not valid OpenAPI 3\.1/);
  });

  it("is not written for an invalid document", async () => {
    setup(VALID.replace("responses:", "responsez:"));
    await expect(writeCheckedOpenApiDocument(files())).rejects.toThrow(/not valid OpenAPI 3\.1/);
    await expect(loadCheckedOpenApiDocument(files())).rejects.toThrow(/not valid OpenAPI 3\.1/);
  });
});
