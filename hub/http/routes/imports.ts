import { residentImportMunicipality } from "../../identity/policy.js";
import { importResidents } from "../../import/apply.js";
import { ImportFileError, readTable } from "../../import/read.js";
import { type Problem, problems } from "../problem.js";
import { type Handlers, requireActor } from "../types.js";

/** Initial data migration (移行) by upload: a dry run reports, an apply writes all or nothing. */
export const importHandlers: Handlers = {
  importResidents: async (req) => {
    const actor = requireActor(req);
    const municipalityCode = residentImportMunicipality(actor);
    const { fileName, contentBase64 } = req.body as { fileName: string; contentBase64: string };
    const dryRun = req.query.dryRun !== false;
    const bytes = Buffer.from(contentBase64, "base64");
    let table: Awaited<ReturnType<typeof readTable>>;
    try {
      table = await readTable(fileName, bytes);
    } catch (err) {
      if (err instanceof ImportFileError) {
        throw importInvalid(err.message, [{ line: 0, column: "", code: err.code, message: err.message }]);
      }
      throw err;
    }
    const result = await importResidents(req.hub.prisma, table, { municipalityCode, dryRun });
    if (result.errors.length) {
      throw importInvalid(`${result.errors.length} errors; nothing was imported`, result.errors);
    }
    return { body: result };
  },
};

type RowError = { line: number; column: string; code: string; message: string };

/** 422 import_invalid, with the line-numbered report in `errors` (each with a `path` of "line N column"). */
function importInvalid(detail: string, errors: RowError[]): Problem {
  return problems.unprocessable(
    "import_invalid",
    detail,
    errors.map((e) => ({ ...e, path: `line ${e.line}${e.column ? ` ${e.column}` : ""}` })),
  );
}
