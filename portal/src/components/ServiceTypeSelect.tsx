import { For } from "solid-js";
import { SERVICE_TYPES } from "../api";
import { label } from "../i18n";
import { SelectField } from "./Field";

/** The "service type" filter: an empty choice first (any), then the three services. */
export function ServiceTypeSelect(props: { label: string; empty: string; selected: string | undefined }) {
  return (
    <SelectField name="serviceType" label={props.label}>
      <option value="">{props.empty}</option>
      <For each={SERVICE_TYPES}>
        {(s) => (
          <option value={s} selected={s === props.selected}>
            {label("serviceTypes", s)}
          </option>
        )}
      </For>
    </SelectField>
  );
}
