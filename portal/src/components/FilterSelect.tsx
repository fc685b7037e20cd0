import { For } from "solid-js";
import { label } from "../i18n";
import { SelectField } from "./Field";

type LabelGroup = Parameters<typeof label>[0];

/**
 * A list filter's select: an empty choice first (any), then each value under its label, from one of the
 * dictionary's label groups or from a function.
 */
export function FilterSelect<V extends string>(props: {
  name: string;
  label: string;
  empty: string;
  values: readonly V[];
  labels: LabelGroup | ((value: V) => string | undefined);
  selected: string | undefined;
  id?: string;
}) {
  const text = (value: V) => {
    const labels = props.labels;
    return typeof labels === "function" ? (labels(value) ?? value) : label(labels, value);
  };
  return (
    <SelectField name={props.name} label={props.label} id={props.id}>
      <option value="">{props.empty}</option>
      <For each={props.values}>
        {(value) => (
          <option value={value} selected={value === props.selected}>
            {text(value)}
          </option>
        )}
      </For>
    </SelectField>
  );
}
