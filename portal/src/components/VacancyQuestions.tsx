import { createAsync, useNavigate } from "@solidjs/router";
import { getMunicipalities } from "../data";
import { addDays, todayInJapan } from "../format";
import { t } from "../i18n";
import { formText } from "../search";
import { TextField } from "./Field";
import { MunicipalitySelect } from "./MunicipalitySelect";
import { ServiceTypeSelect } from "./ServiceTypeSelect";

/**
 * The three questions a mother has about a free place (when, which kind, where), asked where she starts (home),
 * so the vacancy view opens with her answers already applied: one view fewer than searching on it again.
 */
export function VacancyQuestions() {
  const v = () => t().vacancy;
  const navigate = useNavigate();
  const municipalities = createAsync(() => getMunicipalities());
  const today = todayInJapan();

  function search(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const q = new URLSearchParams();
    for (const k of ["serviceType", "from", "municipality"]) {
      const value = formText(form, k);
      if (value && !(k === "from" && value === today)) q.set(k, value);
    }
    const s = q.toString();
    navigate(s ? `/vacancy?${s}` : "/vacancy");
  }

  return (
    <section aria-labelledby="questions-title" class="panel">
      <h2 id="questions-title">{t().welcome.findVacancy}</h2>
      <search aria-labelledby="questions-title">
        <form class="filters" onSubmit={search}>
          <TextField
            name="from"
            type="date"
            label={v().from}
            min={today}
            max={addDays(today, 89)}
            value={today}
          />
          <ServiceTypeSelect label={v().serviceType} empty={v().any} selected={undefined} />
          <MunicipalitySelect
            label={v().municipality}
            empty={v().any}
            municipalities={municipalities()}
            selected={undefined}
          />
          <div class="form-actions">
            <button type="submit" class="button">
              {v().search}
            </button>
          </div>
        </form>
      </search>
    </section>
  );
}
