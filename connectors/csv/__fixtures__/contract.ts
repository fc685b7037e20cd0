import { readFileSync } from "node:fs";
import type { ContractFixtures } from "../../contract-fixtures.js";
import type { CsvConfig } from "../mapping.js";

/** A fixture file's bytes, by name. */
export const file = (name: string) => readFileSync(new URL(name, import.meta.url));

/** A facility whose files call the visit blocks 午前 and 午後. */
export const csvConfig = { timeBlockAliases: { 午前: "am", 午後: "pm" } } satisfies CsvConfig;

export const fixtures: ContractFixtures = {
  config: csvConfig,
  file: file("bookings-excel-utf8-bom.csv"),
};
