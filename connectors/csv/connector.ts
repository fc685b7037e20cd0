/**
 * csv: bookings and capacity exchanged as files in the layout documented in README.md (this folder). A facility
 * uploads a file exported from its spreadsheet or booking software; the hub reads it with `parseFile`, reports
 * every problem by line, and applies it all or nothing (hub/connections/files.ts). Downloads in the same layout
 * (with `toCsv`) upload again without changing anything.
 */
import type { Connector } from "../contract.js";
import manifest from "./manifest.json" with { type: "json" };
import { type CsvConfig, readCsvFile } from "./mapping.js";

export const connector: Connector<CsvConfig> = {
  manifest: manifest as Connector["manifest"],
  parseFile(ctx, file) {
    return readCsvFile(ctx.config, file, ctx.now()).report;
  },
};
