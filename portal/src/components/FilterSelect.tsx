import { For } from "solid-js";
import { label } from "../i18n";
import { SelectField } from "./Field";

type LabelGroup = Parameters<typeof label>[0];

/** A list filter's select: an empty choice first (any), then each value under its label from the dictionary. */
export function FilterSelect(props: {
  name: string;
  label: string;
  empty: string;
  values: readonly string[];
  labels: LabelGroup;
  selected: string | undefined;
}) {
  return (
    <SelectField name={props.name} label={props.label}>
      <option value="">{props.empty}</option>
      <For each={props.values}>
        {(value) => (
          <option value={value} selected={value === props.selected}>
            {label(props.labels, value)}
          </option>
        )}
      </For>
    </SelectField>
  );
}
