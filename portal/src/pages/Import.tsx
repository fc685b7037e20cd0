import { createSignal, For, Match, Show, Switch } from "solid-js";
import { ApiError, api, type FieldError, type ImportFile, type ImportReport, type Role } from "../api";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { ScrollTable } from "../components/Table";
import { type Dict, t } from "../i18n";

type ImportKind = keyof Dict["importPage"]["kinds"];

/** What differs between the kinds of import besides their texts (`importPage.kinds` in i18n). */
const KINDS: Record<
  ImportKind,
  {
    roles: Role[];
    run: (file: ImportFile, dryRun: boolean) => Promise<ImportReport>;
    /** The largest file, so that its base64 fits the operation's body limit. */
    maxBytes: number;
    maxLabel: string;
  }
> = {
  // The API takes bodies up to 8 MB of base64 for this operation: about 6 MB of file.
  residents: { roles: ["municipality"], run: api.importResidents, maxBytes: 6_000_000, maxLabel: "6 MB" },
  // These take the ordinary 1 MB body: about 700 KB of file (70 facilities are about 100 KB).
  municipalities: {
    roles: ["prefecture"],
    run: api.importMunicipalities,
    maxBytes: 700_000,
    maxLabel: "700 KB",
  },
  facilities: { roles: ["prefecture"], run: api.importFacilities, maxBytes: 700_000, maxLabel: "700 KB" },
};

/** Initial data migration (移行): choose a file, check it (dry run), then import it. */
function ImportPage(props: { kind: ImportKind }) {
  return (
    <RequireRole roles={KINDS[props.kind].roles} title={t().importPage.kinds[props.kind].title}>
      {() => <ImportForm kind={props.kind} />}
    </RequireRole>
  );
}

/** Residents, by municipality staff into their own municipality. */
export const ImportResidents = () => <ImportPage kind="residents" />;
/** The prefecture's reference data: municipalities (with their LGWAN networks). */
export const ImportMunicipalities = () => <ImportPage kind="municipalities" />;
/** The prefecture's reference data: facilities and their services' capacity. */
export const ImportFacilities = () => <ImportPage kind="facilities" />;

/** A file's contents as base64 (without the data: URL prefix). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? "").replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

type Outcome =
  | { kind: "checked"; report: ImportReport }
  | { kind: "applied"; report: ImportReport }
  | { kind: "invalid"; errors: FieldError[] }
  | { kind: "failed"; error: unknown };

function ImportForm(props: { kind: ImportKind }) {
  const i = () => t().importPage;
  const k = () => i().kinds[props.kind];
  const spec = KINDS[props.kind];
  let fileInput!: HTMLInputElement;
  const [fieldError, setFieldError] = createSignal<string>();
  const [busy, setBusy] = createSignal<"check" | "apply">();
  const [outcome, setOutcome] = createSignal<Outcome>();
  // The file that passed the last dry run: only that one can be applied.
  const [checkedFile, setCheckedFile] = createSignal<ImportFile>();

  const reset = () => {
    setFieldError(undefined);
    setOutcome(undefined);
    setCheckedFile(undefined);
  };

  const errorIds = () =>
    [
      "field-file-hint",
      fieldError() ? "field-file-error" : "",
      outcome()?.kind === "invalid" || outcome()?.kind === "failed" ? "import-error" : "",
    ]
      .filter(Boolean)
      .join(" ");

  async function check(e: SubmitEvent) {
    e.preventDefault();
    reset();
    const file = fileInput.files?.[0];
    const problem = !file
      ? i().chooseFile
      : file.size === 0
        ? i().emptyFile
        : file.size > spec.maxBytes
          ? i().tooLarge(spec.maxLabel)
          : undefined;
    if (!file || problem) {
      setFieldError(problem);
      fileInput.focus();
      return;
    }
    setBusy("check");
    try {
      const body: ImportFile = { fileName: file.name, contentBase64: await readBase64(file) };
      const report = await spec.run(body, true);
      setOutcome({ kind: "checked", report });
      setCheckedFile(body);
    } catch (err) {
      if (err instanceof DOMException) setFieldError(i().unreadable);
      else if (err instanceof ApiError && err.code === "import_invalid" && err.errors.length > 0) {
        setOutcome({ kind: "invalid", errors: err.errors });
      } else setOutcome({ kind: "failed", error: err });
    } finally {
      setBusy(undefined);
    }
  }

  async function apply() {
    const body = checkedFile();
    if (!body) return;
    setBusy("apply");
    try {
      const report = await spec.run(body, false);
      setOutcome({ kind: "applied", report });
      setCheckedFile(undefined);
    } catch (err) {
      setCheckedFile(undefined);
      if (err instanceof ApiError && err.code === "import_invalid" && err.errors.length > 0) {
        setOutcome({ kind: "invalid", errors: err.errors });
      } else setOutcome({ kind: "failed", error: err });
    } finally {
      setBusy(undefined);
    }
  }

  const report = () => {
    const o = outcome();
    return o?.kind === "checked" || o?.kind === "applied" ? o.report : undefined;
  };

  return (
    <Page title={k().title}>
      <p>{k().intro}</p>
      <form class="panel stack" onSubmit={check} novalidate>
        <div class="field" classList={{ "field-invalid": !!fieldError() }}>
          <label for="field-file">{i().file}</label>
          <p class="hint" id="field-file-hint">
            {i().fileHint}
          </p>
          <Show when={fieldError()}>
            <p class="field-error" id="field-file-error" role="alert">
              {fieldError()}
            </p>
          </Show>
          <input
            ref={fileInput}
            id="field-file"
            class="file-input"
            name="file"
            type="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            required
            aria-invalid={fieldError() || outcome()?.kind === "invalid" ? "true" : undefined}
            aria-describedby={errorIds()}
            onChange={reset}
          />
        </div>
        <div class="form-actions">
          <Button type="submit" class="button button-secondary" busy={!!busy()}>
            {busy() === "check" ? i().checking : i().check}
          </Button>
          <button
            type="button"
            class="button"
            disabled={!checkedFile() || !!busy()}
            aria-describedby="apply-hint"
            onClick={apply}
          >
            {busy() === "apply" ? i().applying : i().apply}
          </button>
        </div>
        <p class="hint" id="apply-hint">
          {i().applyHint}
        </p>
      </form>

      <div role="status" aria-live="polite" class="status-slot">
        <Switch>
          <Match when={outcome()?.kind === "checked" && report()}>
            {(r) => <p class="alert alert-info">{i().checked(r().rows, r().created, r().updated)}</p>}
          </Match>
          <Match when={outcome()?.kind === "applied" && report()}>
            {(r) => <p class="alert alert-success">{i().applied(r().rows, r().created, r().updated)}</p>}
          </Match>
        </Switch>
      </div>

      <Show when={report()}>
        {(r) => (
          <section aria-labelledby="import-report" class="import-report">
            <h2 id="import-report">{i().reportTitle}</h2>
            <dl class="details">
              <div>
                <dt>{i().rows}</dt>
                <dd id="import-rows">{r().rows}</dd>
              </div>
              <div>
                <dt>{i().created}</dt>
                <dd id="import-created">{r().created}</dd>
              </div>
              <div>
                <dt>{i().updated}</dt>
                <dd id="import-updated">{r().updated}</dd>
              </div>
            </dl>
          </section>
        )}
      </Show>

      <Switch>
        <Match when={outcome()?.kind === "invalid" && outcome()}>
          {(o) => <ImportErrors kind={props.kind} errors={(o() as { errors: FieldError[] }).errors} />}
        </Match>
        <Match when={outcome()?.kind === "failed" && outcome()}>
          {(o) => <ErrorMessage id="import-error" error={(o() as { error: unknown }).error} />}
        </Match>
      </Switch>

      <section aria-labelledby="import-format">
        <h2 id="import-format">{i().formatTitle}</h2>
        <p>{k().formatIntro}</p>
        <dl class="details">
          <div>
            <dt>{i().required}</dt>
            <dd>{k().requiredColumns}</dd>
          </div>
          <div>
            <dt>{i().optional}</dt>
            <dd>{k().optionalColumns}</dd>
          </div>
        </dl>
        <p>{k().formatNote}</p>
      </section>
    </Page>
  );
}

/** The 422 import_invalid report: announced in a short alert, listed by line in a table. */
function ImportErrors(props: { kind: ImportKind; errors: FieldError[] }) {
  const i = () => t().importPage;
  const k = () => i().kinds[props.kind];
  const lineText = (line: number | undefined) =>
    line === undefined || line === 0 ? i().wholeFile : line === 1 ? i().header(line) : String(line);
  const columnText = (column: string | undefined) => (column ? (k().columns[column] ?? column) : t().dash);
  const messageText = (e: FieldError) => (e.code && (k().codes[e.code] ?? i().codes[e.code])) || e.message;
  return (
    <>
      <div class="alert alert-error" role="alert" id="import-error">
        <p class="alert-title">{i().invalid(props.errors.length)}</p>
      </div>
      <ScrollTable
        id="import-errors"
        caption={i().errorsCaption}
        columns={[i().line, i().column, i().message]}
      >
        <tbody>
          <For each={props.errors}>
            {(e) => (
              <tr>
                <th scope="row" class="nowrap">
                  {lineText(e.line)}
                </th>
                <td>{columnText(e.column)}</td>
                <td>{messageText(e)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </ScrollTable>
    </>
  );
}
