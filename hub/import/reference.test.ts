import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { demoFacilitiesCsv, demoMunicipalitiesCsv } from "../../fixtures/import/reference-csv.js";
import { parseServices, validateFacilities } from "./facilities.js";
import { validateMunicipalities } from "./municipalities.js";
import { readCsv } from "./read.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/import/${name}`, import.meta.url));
const table = (text: string) => readCsv(Buffer.from(text));
const codes = new Set(validateMunicipalities(readCsv(fixture("municipalities.csv"))).rows.map((r) => r.code));

describe("validating municipalities", () => {
  it("reads the sample files (UTF-8 with BOM and Shift_JIS): 35 municipalities, LGWAN networks split", () => {
    for (const name of ["municipalities.csv", "municipalities-shift-jis.csv"]) {
      const { rows, errors } = validateMunicipalities(readCsv(fixture(name)));
      expect(errors).toEqual([]);
      expect(rows).toHaveLength(35);
      expect(rows[0]).toMatchObject({ line: 2, code: "041009", name: "仙台市", kind: "市" });
      expect(rows[0]?.allowedCidrs).toEqual([]);
      expect(rows[1]).toMatchObject({ code: "042021", allowedCidrs: ["10.21.0.0/16", "192.0.2.1"] });
      expect(rows[5]?.allowedCidrs).toEqual([]);
    }
    expect(readCsv(fixture("municipalities-shift-jis.csv")).encoding).toBe("shift_jis");
    expect(fixture("municipalities.csv").toString()).toBe(demoMunicipalitiesCsv({ bom: true }));
  });

  it("reports every error of the sample file by line", () => {
    const { rows, errors } = validateMunicipalities(readCsv(fixture("municipalities-with-errors.csv")));
    expect(rows.map((r) => r.line)).toEqual([2]);
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [3, "code", "bad_code"],
      [4, "name", "required"],
      [5, "kind", "bad_kind"],
      [6, "allowed_cidrs", "bad_cidr"],
      [7, "code", "duplicate"],
    ]);
    for (const e of errors) expect(e.message).toMatch(/\S/);
  });

  it("accepts English aliases, IPv6 and full-width separators; reports header problems", () => {
    const ok = validateMunicipalities(
      table(
        "code,name,kana,kind,region,allowed_cidrs\n042072,名取市,なとりし,市,仙台都市圏,2001:db8::/32；10.1.2.3\n",
      ),
    );
    expect(ok.errors).toEqual([]);
    expect(ok.rows[0]?.allowedCidrs).toEqual(["2001:db8::/32", "10.1.2.3"]);
    const bad = validateMunicipalities(table("code,name,種類\n041009,仙台市,市\n"));
    expect(bad.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [1, "種類", "unknown_column"],
      [1, "市町村名カナ", "missing_column"],
      [1, "区分", "missing_column"],
      [1, "広域圏", "missing_column"],
    ]);
    expect(validateMunicipalities(table("code,name,kana,kind,region\n")).errors[0]?.code).toBe("no_rows");
  });
});

describe("validating facilities", () => {
  it("reads the sample files: 70 facilities with their services", () => {
    for (const name of ["facilities.csv", "facilities-shift-jis.csv"]) {
      const { rows, errors } = validateFacilities(readCsv(fixture(name)), { municipalityCodes: codes });
      expect(errors).toEqual([]);
      expect(rows).toHaveLength(70);
      expect(rows.every((r) => r.services.length > 0)).toBe(true);
    }
    const { rows } = validateFacilities(readCsv(fixture("facilities.csv")), { municipalityCodes: codes });
    expect(rows[0]).toMatchObject({ kind: "hospital", associationId: "medical", published: true });
    expect(rows[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      validateFacilities(readCsv(fixture("facilities-shift-jis.csv")), { municipalityCodes: codes }).rows[0]
        ?.id,
    ).toBeNull();
    expect(fixture("facilities.csv").toString()).toBe(demoFacilitiesCsv({ ids: true, bom: true }));
  });

  it("reports every error of the sample file by line", () => {
    const { rows, errors } = validateFacilities(readCsv(fixture("facilities-with-errors.csv")), {
      municipalityCodes: codes,
    });
    expect(rows.map((r) => r.line)).toEqual([2]);
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [3, "name", "required"],
      [4, "kind", "bad_kind"],
      [5, "association", "bad_association"],
      [6, "municipality_code", "unknown_municipality"],
      [7, "phone", "bad_phone"],
      [8, "website", "bad_url"],
      [9, "services", "bad_services"],
      [10, "id", "bad_uuid"],
      [11, "name", "duplicate"],
    ]);
  });

  it("parses services, English values, lists and defaults", () => {
    expect(parseServices("stay:3;日帰り:5；visit=2")).toEqual([
      { serviceType: "stay", capacity: 3 },
      { serviceType: "day", capacity: 5 },
      { serviceType: "visit", capacity: 2 },
    ]);
    for (const bad of ["", "stay", "stay:0", "stay:1;stay:2", "spa:3", "stay:1000"]) {
      expect(parseServices(bad), bad).toBeNull();
    }
    const { rows, errors } = validateFacilities(
      table(
        "name,kind,association,municipality_code,address,service_area,languages,published,services\n" +
          "助産院A,midwife_home,midwife,042072,名取市1,042072;041009,EN;ja,false,visit:2\n",
      ),
      { municipalityCodes: codes },
    );
    expect(errors).toEqual([]);
    expect(rows[0]).toMatchObject({
      id: null,
      serviceArea: ["042072", "041009"],
      languages: ["en", "ja"],
      published: false,
      accessibility: [],
    });
    const bad = validateFacilities(
      table(
        "name,kind,association,municipality_code,address,service_area,services\nA,病院,医師会,041009,x,041008,stay:1\n",
      ),
      { municipalityCodes: codes },
    );
    expect(bad.errors.map((e) => [e.line, e.column, e.code])).toEqual([[2, "service_area", "bad_code"]]);
  });
});
