import { type DomainError, problems } from "../../errors.js";
import { assertReferenceImport, residentImportMunicipality } from "../../identity/access.js";
import { importResidents } from "../../import/apply.js";
import { importFacilities, importMunicipalities } from "../../import/apply-reference.js";
import { ImportFileError, readTable, type Table } from "../../import/read.js";
import { type Handlers, type OpRequest, requireActor } from "../types.js";

/** Initial data migration (移行) by upload: a dry run reports, an apply writes all or nothing. */
export const importHandlers: Handlers = {
  importResidents: async (req) => {
    const actor = requireActor(req);
    const municipalityCode = residentImportMunicipality(actor);
    const { table, dryRun } = await uploaded(req);
    return report(await importResidents(req.hub.prisma, table, { municipalityCode, dryRun }));
  },
  importMunicipalities: async (req) => {
    assertReferenceImport(requireActor(req));
    const { table, dryRun } = await uploaded(req);
    return report(await importMunicipalities(req.hub.prisma, table, { dryRun }));
  },
  importFacilities: async (req) => {
    const actor = requireActor(req);
    assertReferenceImport(actor);
    const { table, dryRun } = await uploaded(req);
    return report(await importFacilities(req.hub.prisma, table, { dryRun, userId: actor.userId }));
  },
};

type RowError = { line: number; column: string; code: string; message: string };

/** The uploaded file as a table (unreadable files answer 422 import_invalid), and whether this is a dry run. */
async function uploaded(req: OpRequest): Promise<{ table: Table; dryRun: boolean }> {
  const { fileName, contentBase64 } = req.body as { fileName: string; contentBase64: string };
  const dryRun = req.query.dryRun !== false;
  const bytes = Buffer.from(contentBase64, "base64");
  try {
    return { table: await readTable(fileName, bytes), dryRun };
  } catch (err) {
    if (err instanceof ImportFileError) {
      throw importInvalid(err.message, [{ line: 0, column: "", code: err.code, message: err.message }]);
    }
    throw err;
  }
}

function report<T extends { errors: RowError[] }>(result: T): { body: T } {
  if (result.errors.length) {
    throw importInvalid(`${result.errors.length} errors; nothing was imported`, result.errors);
  }
  return { body: result };
}

/** 422 import_invalid, with the line-numbered report in `errors` (each with a `path` of "line N column"). */
function importInvalid(detail: string, errors: RowError[]): DomainError {
  return problems.unprocessable(
    "import_invalid",
    detail,
    errors.map((e) => ({ ...e, path: `line ${e.line}${e.column ? ` ${e.column}` : ""}` })),
  );
}
